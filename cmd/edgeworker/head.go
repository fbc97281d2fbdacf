package main

import "strings"

// requestHead is what the Worker reads of a request.
type requestHead struct {
	method, url string
	hasBody     bool
	header      headerList
}

// parseRequestHead reads the shim's lines: method, URL, "1" or "0" for a
// body, then a name and a value per header.
func parseRequestHead(s string) requestHead {
	var h requestHead
	line := func() string {
		l, rest, _ := strings.Cut(s, "\n")
		s = rest
		return l
	}
	h.method, h.url, h.hasBody = line(), line(), line() == "1"
	if s != "" {
		h.header = make(headerList, 0, strings.Count(s, "\n")+2)
		for s != "" {
			name := line()
			h.header = append(h.header, name, line())
		}
	}
	return h
}

// headerList holds a request's headers as name, value pairs, names in lower
// case, one pair per name (tenant.Headers).
type headerList []string

// Get returns the value of the header name (any case), "" when absent.
func (h headerList) Get(name string) string {
	v, _ := h.lookup(name)
	return v
}

// lookup returns the value of the header name and whether it is present.
func (h headerList) lookup(name string) (string, bool) {
	for i := 0; i+1 < len(h); i += 2 {
		if strings.EqualFold(h[i], name) {
			return h[i+1], true
		}
	}
	return "", false
}
