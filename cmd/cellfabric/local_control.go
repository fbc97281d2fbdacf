package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/cellfabric/cellfabric/router"
	"github.com/cellfabric/cellfabric/router/server"
)

// localControl lets the user take local cells down and up, from stdin or
// the admin listener, and shows the routing table.
type localControl struct {
	cells  []*localCell
	rt     *server.Router
	quit   func()
	stdout io.Writer
}

// setCell stops (up false) or starts a cell and returns a line saying so.
func (lc *localControl) setCell(id string, up bool) (string, error) {
	c, err := cellByID(lc.cells, id)
	if err != nil {
		return "", err
	}
	if !up {
		if err := c.stop(); err != nil {
			return "", err
		}
		return fmt.Sprintf("cell %s stopped: its listener is closed; the router retries its requests on the failover cells and marks it unhealthy after failed checks", id), nil
	}
	if err := c.start(); err != nil {
		return "", err
	}
	return fmt.Sprintf("cell %s started on %s: the router sends its tenants back once health checks pass", id, c.endpoint()), nil
}

// command runs one stdin command and writes its answer. It reports false
// for quit.
func (lc *localControl) command(line string, w io.Writer) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		return true
	}
	switch verb := f[0]; {
	case verb == "quit" || verb == "exit":
		return false
	case verb == "table" || verb == "t":
		lc.table(w)
	case verb == "help" || verb == "h" || verb == "?":
		fmt.Fprintln(w, localHelp)
	case (verb == "down" || verb == "stop" || verb == "up" || verb == "start") && len(f) == 2:
		msg, err := lc.setCell(f[1], verb == "up" || verb == "start")
		if err != nil {
			fmt.Fprintf(w, "error: %v\n", err)
			return true
		}
		fmt.Fprintln(w, msg)
	default:
		fmt.Fprintf(w, "%v %q\n%s\n", errUnknownCommand, line, localHelp)
	}
	return true
}

const localHelp = `commands: down <cell> | up <cell> | table | help | quit`

// readCommands runs commands from r until EOF, an error or quit (which
// calls lc.quit).
func (lc *localControl) readCommands(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if !lc.command(sc.Text(), lc.stdout) {
			lc.quit()
			return
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(lc.stdout, "not reading commands from stdin (%v); use the admin endpoints instead\n", err)
	}
}

// cellState is a local cell as GET /local/cells shows it.
type cellState struct {
	ID       string `json:"id"`
	Cloud    string `json:"cloud"`
	Region   string `json:"region"`
	Endpoint string `json:"endpoint"`
	// StateAPI is the URL of the cell's state admin API, signed with the
	// run's control key: Endpoint + stateapi.BasePath (a stateapi.Client
	// takes Endpoint as its BaseURL). Absent when local runs without a
	// control API (--control "").
	StateAPI string `json:"stateAPI,omitempty"`
	// Store is the kind of the cell's state store (embedded, dynamodb,
	// azuretable, firestore).
	Store   string `json:"store"`
	Running bool   `json:"running"`
	Healthy bool   `json:"healthy"`
}

func (lc *localControl) states() []cellState {
	out := make([]cellState, 0, len(lc.cells))
	for _, c := range lc.cells {
		out = append(out, cellState{ID: c.id, Cloud: c.cloud, Region: c.region, Endpoint: c.endpoint(), StateAPI: c.stateAPIURL(), Store: string(c.store), Running: c.running(), Healthy: lc.rt.Health().Healthy(c.id)})
	}
	return out
}

// handler serves the local-mode endpoints on the admin listener:
// GET /local/cells, POST /local/cells/{id}/{stop|start} and GET
// /local/table; everything else is the router's admin API.
func (lc *localControl) handler(admin http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", admin)
	mux.HandleFunc("GET /local/cells", func(w http.ResponseWriter, _ *http.Request) {
		server.WriteJSON(w, http.StatusOK, lc.states())
	})
	mux.HandleFunc("GET /local/table", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		lc.table(w)
	})
	mux.HandleFunc("POST /local/cells/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		var up bool
		switch r.PathValue("action") {
		case "stop", "down":
		case "start", "up":
			up = true
		default:
			server.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "unknown action; want stop or start"})
			return
		}
		msg, err := lc.setCell(r.PathValue("id"), up)
		if err != nil {
			status := http.StatusInternalServerError
			if strings.Contains(err.Error(), "unknown cell") {
				status = http.StatusNotFound
			}
			server.WriteJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		fmt.Fprintln(lc.stdout, msg)
		server.WriteJSON(w, http.StatusOK, map[string]any{"message": msg, "cells": lc.states()})
	})
	return mux
}

// table prints the cells (running, healthy) and every tenant's primary,
// failovers and the cell that would answer it now.
func (lc *localControl) table(w io.Writer) {
	snap := lc.rt.Store().Snapshot()
	if snap == nil {
		fmt.Fprintln(w, "no registry loaded")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "CELL\tCLOUD\tREGION\tENDPOINT\tLISTENER\tROUTER SEES\n")
	for _, s := range lc.states() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Cloud, s.Region, s.Endpoint, upDown(s.Running, "running", "stopped"), upDown(s.Healthy, "healthy", "unhealthy"))
	}
	fmt.Fprintf(tw, "\nTENANT\tPRIMARY\tFAILOVER\tSTATE\tNOW ANSWERED BY\n")
	for _, t := range snap.Registry().Tenants {
		now := "-"
		if ex, ok := lc.rt.Explain(router.Request{Method: http.MethodGet, Path: "/", Tenant: t.ID}); ok {
			now = ex.Chosen
			if !ex.Forward {
				now = fmt.Sprintf("nobody (%d %s)", ex.Status, ex.Reason)
			} else if ex.Via != string(router.ViaPrimary) {
				now += " (" + ex.Via + ")"
			}
		}
		fo := strings.Join(t.Failover, " → ")
		if fo == "" {
			fo = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Cell, fo, t.EffectiveState(), now)
	}
	if routes := snap.Registry().SharedRoutes; len(routes) > 0 {
		fmt.Fprintf(tw, "\nSHARED ROUTE\tCELLS (WEIGHT)\n")
		for _, r := range routes {
			var parts []string
			for _, c := range r.Cells {
				parts = append(parts, fmt.Sprintf("%s (%d)", c.Cell, c.Weight))
			}
			fmt.Fprintf(tw, "%s\t%s\n", r.Prefix, strings.Join(parts, ", "))
		}
	}
	_ = tw.Flush()
}

func upDown(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
