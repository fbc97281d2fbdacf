package stateapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cellfabric/cellfabric/control/directory"
	"github.com/cellfabric/cellfabric/router/edgeauth"
	"github.com/cellfabric/cellfabric/workload/state"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	// Store is the cell's state port. Required.
	Store state.Store
	// ControlKeys are the control keys the API accepts: one, or several
	// during a rotation. Required; never the edge key.
	ControlKeys []edgeauth.Key
	// MaxSkew is how far a signature's time may be from the cell's clock.
	// Zero: edgeauth.DefaultMaxSkew.
	MaxSkew time.Duration
	// CellID names the cell in logs. Zero: not logged.
	CellID string
	// Logger receives a line per change (fence, lock, import) and per
	// refused request. Zero: discard.
	Logger *slog.Logger
}

// Handler serves the state admin API: requests under BasePath, signed
// with a control key.
type Handler struct {
	store    state.Store
	verifier *edgeauth.Verifier
	cell     string
	log      *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// NewHandler validates cfg and returns the handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("state store: required"))
	}
	if len(cfg.ControlKeys) == 0 {
		errs = append(errs, errors.New("control keys: at least one is required (the admin API is off without one)"))
	}
	v, err := edgeauth.NewVerifier(cfg.ControlKeys, edgeauth.VerifierOptions{MaxSkew: cfg.MaxSkew})
	if err != nil && len(cfg.ControlKeys) > 0 {
		errs = append(errs, fmt.Errorf("control keys: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("state admin API: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{store: cfg.Store, verifier: v, cell: cfg.CellID, log: cfg.Logger}, nil
}

// ServeHTTP verifies the request's control signature and serves it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	tenant, op, _ := strings.Cut(rest, "/")
	limit := int64(maxBodyBytes)
	if op == "import" {
		limit = MaxImportBytes
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(w, http.StatusRequestEntityTooLarge, directory.ReasonBodyTooLarge, tenant, fmt.Sprintf("the body is over %d bytes: send smaller batches", limit), nil)
			return
		}
		h.refuse(w, http.StatusBadRequest, directory.ReasonMalformed, tenant, "reading the body: "+err.Error(), nil)
		return
	}
	if err := directory.VerifyControl(h.verifier, r.Method, r.Host, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get(edgeauth.SignatureHeader), body); err != nil {
		reason := directory.ReasonUnauthenticated
		var ae *directory.AuthError
		if errors.As(err, &ae) {
			reason = ae.Reason
		}
		h.log.Warn("state admin request refused", "cell", h.cell, "reason", reason, "method", r.Method, "path", r.URL.Path)
		h.refuse(w, http.StatusUnauthorized, reason, "", err.Error(), nil)
		return
	}
	if !ok || tenant == "" {
		h.refuse(w, http.StatusNotFound, directory.ReasonNoRoute, "", "no endpoint at "+r.URL.Path+": use "+BasePath+"/<tenant>/meta, export, changes, import, fence or lock", nil)
		return
	}
	h.route(w, r, tenant, op, body)
}

// route serves a verified request for tenant.
func (h *Handler) route(w http.ResponseWriter, r *http.Request, tenant, op string, body []byte) {
	method := func(allowed string) bool {
		if r.Method == allowed {
			return true
		}
		w.Header().Set("Allow", allowed)
		h.refuse(w, http.StatusMethodNotAllowed, directory.ReasonMethod, tenant, fmt.Sprintf("%s takes %s", op, allowed), nil)
		return false
	}
	ctx := r.Context()
	switch op {
	case "meta":
		if method(http.MethodGet) {
			m, err := h.store.Meta(ctx, tenant)
			h.answer(w, tenant, m, err)
		}
	case "export":
		if method(http.MethodGet) {
			h.export(w, r, tenant)
		}
	case "changes":
		if method(http.MethodGet) {
			h.changes(w, r, tenant)
		}
	case "import":
		if method(http.MethodPost) {
			h.importRecords(w, r, tenant, body)
		}
	case "fence":
		if !method(http.MethodPut) {
			return
		}
		var f state.FenceState
		if !h.decode(w, tenant, body, &f) {
			return
		}
		m, err := h.store.SetFence(ctx, tenant, f)
		if err == nil {
			h.log.Info("tenant fence set", "cell", h.cell, "tenant", tenant, "epoch", f.Fence, "fence_all", f.FenceAll, "moved", f.Moved, "moved_to", f.MovedTo, "position", m.Position)
		}
		h.answer(w, tenant, m, err)
	case "lock":
		h.lock(w, r, tenant, body)
	case "lock/renew":
		if !method(http.MethodPost) {
			return
		}
		var l state.MoveLock
		if h.decode(w, tenant, body, &l) {
			m, err := h.store.Renew(ctx, tenant, l)
			h.answer(w, tenant, m, err)
		}
	default:
		h.refuse(w, http.StatusNotFound, directory.ReasonNoRoute, tenant, "no endpoint "+strconv.Quote(op)+": use meta, export, changes, import, fence, lock or lock/renew", nil)
	}
}

// lock serves POST (take) and DELETE (release) of the move lock.
func (h *Handler) lock(w http.ResponseWriter, r *http.Request, tenant string, body []byte) {
	switch r.Method {
	case http.MethodPost:
		var l state.MoveLock
		if !h.decode(w, tenant, body, &l) {
			return
		}
		m, err := h.store.Lock(r.Context(), tenant, l)
		if err == nil {
			h.log.Info("tenant move lock taken", "cell", h.cell, "tenant", tenant, "move", l.ID, "owner", l.Owner, "target", l.Target, "step", l.Step)
		}
		h.answer(w, tenant, m, err)
	case http.MethodDelete:
		id := r.URL.Query().Get("id")
		m, err := h.store.Unlock(r.Context(), tenant, state.MoveLock{ID: id})
		if err == nil {
			h.log.Info("tenant move lock released", "cell", h.cell, "tenant", tenant, "move", id)
		}
		h.answer(w, tenant, m, err)
	default:
		w.Header().Set("Allow", "POST, DELETE")
		h.refuse(w, http.StatusMethodNotAllowed, directory.ReasonMethod, tenant, "lock takes POST (take) or DELETE ?id= (release)", nil)
	}
}

// decode reads a JSON body into v, answering 400 when it does not fit.
func (h *Handler) decode(w http.ResponseWriter, tenant string, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		h.refuse(w, http.StatusBadRequest, directory.ReasonMalformed, tenant, "the body is not the JSON this endpoint takes: "+err.Error(), nil)
		return false
	}
	if dec.More() {
		h.refuse(w, http.StatusBadRequest, directory.ReasonMalformed, tenant, "the body holds more than one JSON value", nil)
		return false
	}
	return true
}

// export streams the tenant's export: records, then the position.
func (h *Handler) export(w http.ResponseWriter, r *http.Request, tenant string) {
	s := &stream{w: w}
	p, err := h.store.Export(r.Context(), tenant, func(rec state.Record) error { return s.record(rec) })
	s.end(h, tenant, p, err)
}

// changes streams the tenant's change feed after ?since=, at most ?limit=
// records, then the position to go on from.
func (h *Handler) changes(w http.ResponseWriter, r *http.Request, tenant string) {
	q := r.URL.Query()
	var since uint64
	var limit int
	var err error
	if v := q.Get("since"); v != "" {
		if since, err = strconv.ParseUint(v, 10, 64); err != nil {
			h.refuse(w, http.StatusBadRequest, directory.ReasonBadQuery, tenant, "since="+strconv.Quote(v)+" is not a position: give the position an export or a feed ended with", nil)
			return
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > state.MaxChangesLimit {
			h.refuse(w, http.StatusBadRequest, directory.ReasonBadQuery, tenant, fmt.Sprintf("limit=%q: give 1 to %d", v, state.MaxChangesLimit), nil)
			return
		}
	}
	recs, next, err := h.store.Changes(r.Context(), tenant, since, limit)
	s := &stream{w: w}
	for _, rec := range recs {
		if err != nil {
			break
		}
		err = s.record(rec)
	}
	s.end(h, tenant, next, err)
}

// importRecords applies an NDJSON body of records, in batches the store
// takes.
func (h *Handler) importRecords(w http.ResponseWriter, r *http.Request, tenant string, body []byte) {
	var recs []state.Record
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, MaxImportBytes)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var rec Record
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			h.refuse(w, http.StatusBadRequest, directory.ReasonMalformed, tenant, fmt.Sprintf("line %d is not a record {\"key\",\"value\",\"seq\",\"deleted\"}: %v; nothing was imported", n, err), nil)
			return
		}
		recs = append(recs, rec.state())
	}
	if err := sc.Err(); err != nil {
		h.refuse(w, http.StatusBadRequest, directory.ReasonMalformed, tenant, "reading the records: "+err.Error(), nil)
		return
	}
	for start := 0; start < len(recs); start += state.MaxImportBatch {
		if err := h.store.Import(r.Context(), tenant, recs[start:min(start+state.MaxImportBatch, len(recs))]); err != nil {
			h.storeError(w, tenant, fmt.Errorf("records %d to %d (the earlier ones were imported): %w", start+1, min(start+state.MaxImportBatch, len(recs)), err))
			return
		}
	}
	p, err := h.store.Position(r.Context(), tenant)
	if err == nil && len(recs) > 0 {
		h.log.Info("tenant records imported", "cell", h.cell, "tenant", tenant, "records", len(recs), "position", p)
	}
	h.answer(w, tenant, ImportResponse{Imported: len(recs), Position: p}, err)
}

// stream writes an NDJSON answer, starting it with the first record, so a
// request that fails before then gets a plain refusal.
type stream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	started bool
}

func (s *stream) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", NDJSON)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	s.w.WriteHeader(http.StatusOK)
	s.enc = json.NewEncoder(s.w)
}

func (s *stream) record(r state.Record) error {
	s.start()
	return s.enc.Encode(toWire(r))
}

// end finishes the stream with the position, or with err: a refusal when
// nothing was sent yet, an error line otherwise.
func (s *stream) end(h *Handler, tenant string, p uint64, err error) {
	if err != nil && !s.started {
		h.storeError(s.w, tenant, err)
		return
	}
	s.start()
	if err != nil {
		h.log.Error("state admin stream cut off", "cell", h.cell, "tenant", tenant, "error", err.Error())
		_ = s.enc.Encode(End{Error: err.Error()})
		return
	}
	_ = s.enc.Encode(End{Position: &p})
}

// answer writes v as 200 JSON, or err as a refusal.
func (h *Handler) answer(w http.ResponseWriter, tenant string, v any, err error) {
	if err != nil {
		h.storeError(w, tenant, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// storeError answers a state port error.
func (h *Handler) storeError(w http.ResponseWriter, tenant string, err error) {
	var le *state.LockedError
	switch {
	case errors.As(err, &le):
		h.refuse(w, http.StatusConflict, ReasonLocked, tenant, err.Error(), le.Holder)
	case errors.Is(err, state.ErrInvalid):
		h.refuse(w, http.StatusBadRequest, ReasonInvalid, tenant, err.Error(), nil)
	case errors.Is(err, state.ErrFull):
		h.refuse(w, http.StatusInsufficientStorage, ReasonFull, tenant, err.Error(), nil)
	default:
		h.log.Error("state admin request failed", "cell", h.cell, "tenant", tenant, "error", err.Error())
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
		h.refuse(w, http.StatusServiceUnavailable, directory.ReasonStore, tenant, err.Error()+"; nothing was acknowledged: retry", nil)
	}
}

func (h *Handler) refuse(w http.ResponseWriter, status int, reason, tenant, msg string, holder *state.MoveLock) {
	writeJSON(w, status, ErrorBody{ErrorBody: directory.ErrorBody{Error: msg, Reason: reason, Tenant: tenant}, Holder: holder})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", JSON)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
