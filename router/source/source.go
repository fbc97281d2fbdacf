package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cellfabric/cellfabric/router"
)

// Source yields registry documents.
type Source interface {
	// Name identifies the source in logs (never with credentials).
	Name() string
	// Fetch returns the document when it may have changed since the last
	// fetch (changed true), or changed false when it surely has not. force
	// skips the cheap change checks.
	Fetch(ctx context.Context, force bool) (data []byte, changed bool, err error)
}

// New returns a File or HTTP source for a path or an http(s) URL.
func New(location string, client *http.Client) (Source, error) {
	if strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		return NewHTTP(location, client)
	}
	if location == "" {
		return nil, errors.New("registry source: empty location; give a file path or an http(s) URL")
	}
	return NewFile(location), nil
}

// File is a registry file on disk.
type File struct {
	path  string
	limit int64

	mu   sync.Mutex
	info os.FileInfo // of the last read
	sum  [sha256.Size]byte
}

var _ Source = (*File)(nil)

// NewFile returns a source reading path.
func NewFile(path string) *File { return &File{path: path, limit: router.MaxRegistryBytes} }

// Name implements Source.
func (f *File) Name() string { return "file:" + f.path }

// Fetch implements Source.
func (f *File) Fetch(_ context.Context, force bool) ([]byte, bool, error) {
	if force {
		return f.read(readForced)
	}
	return f.read(readIfStatChanged)
}

// readMode says how much evidence File.read needs before it reads.
type readMode int

const (
	// readIfStatChanged reads only when a stat shows another file, size or
	// modification time (a poll, or an event about another name in the
	// directory).
	readIfStatChanged readMode = iota + 1
	// readContent reads and reports a change when the content differs (an
	// event naming the file: the stat may not show a same-size rewrite
	// within one timestamp tick).
	readContent
	// readForced reads and always reports a change (SIGHUP, Trigger).
	readForced
)

func (f *File) read(mode readMode) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("reading registry: %w", err)
	}
	if fi.Size() > f.limit {
		return nil, false, fmt.Errorf("registry file %s is %d bytes, over the %d byte limit: %w", f.path, fi.Size(), f.limit, router.ErrTooLarge)
	}
	// Cheap check: same file (an atomic rename makes a new one), same size,
	// same modification time. Timestamps can be coarse, so a same-size
	// rewrite in place within one tick is only seen by an event naming the
	// file, on the next change, or a forced read (SIGHUP).
	if prev := f.info; mode == readIfStatChanged && prev != nil && os.SameFile(prev, fi) && fi.ModTime().Equal(prev.ModTime()) && fi.Size() == prev.Size() {
		return nil, false, nil
	}
	file, err := os.Open(f.path)
	if err != nil {
		return nil, false, fmt.Errorf("reading registry: %w", err)
	}
	defer file.Close()
	data, err := router.ReadLimited(file, f.limit)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(data)
	changed := f.info == nil || sum != f.sum || mode == readForced
	f.info, f.sum = fi, sum
	return data, changed, nil
}

// HTTP is a registry served over http(s), polled with ETag.
type HTTP struct {
	url    string
	name   string
	client *http.Client
	limit  int64

	mu   sync.Mutex
	etag string
	sum  [sha256.Size]byte
	seen bool
}

var _ Source = (*HTTP)(nil)

// NewHTTP returns a source polling rawURL with client (default: a client
// with a 10 second timeout).
func NewHTTP(rawURL string, client *http.Client) (*HTTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("registry source %q: want an http or https URL", redact(rawURL))
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &HTTP{url: rawURL, name: u.Redacted(), client: client, limit: router.MaxRegistryBytes}, nil
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// Name implements Source; credentials in the URL are redacted.
func (h *HTTP) Name() string { return h.name }

// Fetch implements Source.
func (h *HTTP) Fetch(ctx context.Context, force bool) ([]byte, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Accept", "application/json")
	if h.etag != "" && !force {
		req.Header.Set("If-None-Match", h.etag)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		// The *url.Error would repeat the URL, credentials included.
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return nil, false, fmt.Errorf("fetching registry from %s: %w", h.name, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, false, nil
	case http.StatusOK:
	default:
		return nil, false, fmt.Errorf("fetching registry from %s: status %s", h.name, resp.Status)
	}
	if resp.ContentLength > h.limit {
		return nil, false, fmt.Errorf("registry at %s is %d bytes, over the %d byte limit: %w", h.name, resp.ContentLength, h.limit, router.ErrTooLarge)
	}
	data, err := router.ReadLimited(resp.Body, h.limit)
	if err != nil {
		return nil, false, fmt.Errorf("fetching registry from %s: %w", h.name, err)
	}
	sum := sha256.Sum256(data)
	changed := !h.seen || sum != h.sum || force
	h.etag, h.sum, h.seen = resp.Header.Get("ETag"), sum, true
	return data, changed, nil
}

// lastKnownGood reads and writes the on-disk copy of the last accepted
// document.
type lastKnownGood struct{ path string }

func (l lastKnownGood) read() ([]byte, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return router.ReadLimited(f, 0)
}

// write replaces the copy atomically: a crash leaves the old copy or the new
// one, never half of one.
func (l lastKnownGood) write(data []byte) error {
	tmp, err := os.CreateTemp(dirOf(l.path), ".registry-lkg-*")
	if err != nil {
		return err
	}
	_, werr := io.Copy(tmp, bytes.NewReader(data))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}
