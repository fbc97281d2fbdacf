//go:build !linux

package server

import (
	"context"
	"errors"
	"net"
	"runtime"
)

// defaultEngine is EngineFastHTTP: EngineEvLoop needs Linux.
const defaultEngine = EngineFastHTTP

// evLoopEngines is empty: EngineEvLoop needs Linux.
var evLoopEngines []Engine

// evLoopSupported reports that EngineEvLoop needs Linux.
func evLoopSupported() error {
	return errors.New("router server: engine evloop runs on Linux only (this is " + runtime.GOOS + "); use fasthttp or nethttp")
}

// evServer stands in for the event-loop server on other systems; check
// refuses EngineEvLoop before one is made.
type evServer struct{}

func (rt *Router) newEvServer() (*evServer, error) { return nil, evLoopSupported() }

func (s *evServer) serve(net.Listener) error { return evLoopSupported() }

func (s *evServer) shutdown(ctx context.Context) error { return evLoopSupported() }
