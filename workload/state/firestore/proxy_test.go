package firestore

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// faultProxy is a gRPC proxy on 127.0.0.1 in front of a real emulator that
// passes every call through, except those a fault rule picks: it answers
// them with an error itself (throttling, a server error) or passes them on
// and then loses the reply (a connection cut after the store acted). The
// store behind it is the real emulator; only the faults are made up.
type faultProxy struct {
	addr string
	srv  *grpc.Server
	up   *grpc.ClientConn

	mu    sync.Mutex
	rules []*faultRule
}

// faultRule applies to the next times calls of a method (suffix match,
// e.g. "/Commit"); times < 0: every call.
type faultRule struct {
	method string
	code   codes.Code
	// afterForward passes the call on before failing it: the store acts,
	// the caller never hears.
	afterForward bool
	times        int
	hits         int
}

// rawCodec passes messages through as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func startFaultProxy(t *testing.T, upstream string) *faultProxy {
	t.Helper()
	up, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{addr: l.Addr().String(), up: up}
	p.srv = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(p.handle))
	go func() { _ = p.srv.Serve(l) }()
	t.Cleanup(func() { p.srv.Stop(); _ = up.Close() })
	return p
}

// inject adds a rule and returns it (its hits count the calls it failed).
func (p *faultProxy) inject(r faultRule) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &r)
	return &r
}

// clear removes every rule.
func (p *faultProxy) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// hitsOf reads a rule's count under the lock.
func (p *faultProxy) hitsOf(r *faultRule) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return r.hits
}

// match returns the rule that fails this call of method, if any.
func (p *faultProxy) match(method string) *faultRule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.rules {
		if strings.HasSuffix(method, r.method) && (r.times < 0 || r.hits < r.times) {
			r.hits++
			return r
		}
	}
	return nil
}

func (p *faultProxy) handle(_ any, ss grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(ss)
	rule := p.match(method)
	if rule != nil && !rule.afterForward {
		return status.Errorf(rule.code, "fault proxy: %s answered with %s", method, rule.code)
	}
	md, _ := metadata.FromIncomingContext(ss.Context())
	ctx := metadata.NewOutgoingContext(ss.Context(), md.Copy())
	cs, err := p.up.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	go func() {
		for {
			var m []byte
			if err := ss.RecvMsg(&m); err != nil {
				_ = cs.CloseSend()
				return
			}
			if err := cs.SendMsg(&m); err != nil {
				return
			}
		}
	}()
	for {
		var m []byte
		err := cs.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			if rule != nil {
				return status.Errorf(rule.code, "fault proxy: the reply of %s was lost", method)
			}
			ss.SetTrailer(cs.Trailer())
			return nil
		}
		if err != nil {
			return err
		}
		if rule != nil {
			continue // the store acted; the caller will not hear of it
		}
		if err := ss.SendMsg(&m); err != nil {
			return err
		}
	}
}
