package emulator

import (
	"sync"

	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// Shared is one emulator of Kind, in memory on a free port, that many
// users share: started by the first Get, stopped by Stop. An adapter's
// tests keep one in a package variable so that they start one emulator,
// not one each, and only when a test needs it. Set Kind; the rest of the
// zero value is ready.
type Shared struct {
	// Kind is the emulator's store (contract.DynamoDB, AzureTable or
	// Firestore).
	Kind contract.Kind

	once sync.Once
	emu  *Emulator
	err  error
}

// Get returns the emulator, starting it on the first call; every call
// returns what the first one did (the same emulator, or its error).
func (s *Shared) Get() (*Emulator, error) {
	s.once.Do(func() { s.emu, s.err = Start(s.Kind, Options{}) })
	return s.emu, s.err
}

// Stop stops the emulator if Get started one (a TestMain calls it after
// m.Run, once no test uses it).
func (s *Shared) Stop() {
	s.once.Do(func() {}) // no Get from now on starts one
	if s.emu != nil {
		s.emu.Stop()
	}
}
