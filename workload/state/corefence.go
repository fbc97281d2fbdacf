package state

import (
	"context"
	"errors"
	"fmt"
)

// Fencing and move locks, implemented once over the meta record: each is a
// conditional write of the record (the store's own compare-and-swap), so
// it is ordered with the tenant's writes and of two racing changes exactly
// one takes effect first.

// admit returns why the tenant, whose meta record is m, refuses a write
// carrying epoch, or nil.
func (m Meta) admit(tenant string, epoch int64) error {
	if m.Moved {
		return &MovedError{Tenant: tenant, MovedTo: m.MovedTo, Fence: m.Fence}
	}
	if m.FenceAll || epoch < m.Fence {
		return &StaleEpochError{Tenant: tenant, Epoch: epoch, Fence: m.Fence, All: m.FenceAll}
	}
	return nil
}

// refuseMoved returns a MovedError when the tenant moved away, nil
// otherwise: the check of Get and List. A pending write does not matter to
// it, so the record is read as it is.
func (s *core) refuseMoved(ctx context.Context, tenant string) error {
	m, _, found, err := s.b.GetMeta(ctx, tenant)
	if err != nil {
		return backendErr("reading the tenant's meta record", err)
	}
	if found && m.Moved {
		return &MovedError{Tenant: tenant, MovedTo: m.MovedTo, Fence: m.Fence}
	}
	return nil
}

// update changes the tenant's meta record with change, which sees the
// record with every ordered write stored, and writes it back on the
// condition that it is unchanged, starting again when it changed. An
// error from change is returned as it is, and nothing is written.
func (s *core) update(ctx context.Context, tenant string, change func(m *Meta) error) (TenantMeta, error) {
	if err := s.checkTenant(tenant); err != nil {
		return TenantMeta{}, err
	}
	for attempt := 0; ; attempt++ {
		if err := s.pause(ctx, attempt); err != nil {
			return TenantMeta{}, err
		}
		m, mv, err := s.meta(ctx, tenant)
		if err != nil {
			return TenantMeta{}, err
		}
		if err := change(&m); err != nil {
			return TenantMeta{}, err
		}
		_, err = s.b.PutMeta(ctx, tenant, m, mv)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return TenantMeta{}, backendErr("writing the tenant's meta record", err)
		}
		return m.tenantMeta(), nil
	}
}

func (m Meta) tenantMeta() TenantMeta {
	tm := TenantMeta{FenceState: m.FenceState, Position: m.Seq}
	if m.Lock != nil {
		l := *m.Lock
		tm.Lock = &l
	}
	return tm
}

// SetFence implements Store.
func (s *core) SetFence(ctx context.Context, tenant string, f FenceState) (TenantMeta, error) {
	if err := f.Validate(); err != nil {
		return TenantMeta{}, err
	}
	return s.update(ctx, tenant, func(m *Meta) error {
		m.FenceState = f
		return nil
	})
}

// Lock implements Store.
func (s *core) Lock(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error) {
	now := s.now()
	if err := l.Validate(now); err != nil {
		return TenantMeta{}, err
	}
	l.Expires = l.Expires.UTC() // as every adapter reads it back
	return s.update(ctx, tenant, func(m *Meta) error {
		if h := m.Lock; h != nil && h.ID != l.ID && h.Expires.After(now) {
			return &LockedError{Tenant: tenant, ID: l.ID, Holder: h}
		}
		m.Lock = &l
		return nil
	})
}

// Renew implements Store.
func (s *core) Renew(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error) {
	if err := l.Validate(s.now()); err != nil {
		return TenantMeta{}, err
	}
	l.Expires = l.Expires.UTC()
	return s.update(ctx, tenant, func(m *Meta) error {
		if m.Lock == nil || m.Lock.ID != l.ID {
			return &LockedError{Tenant: tenant, ID: l.ID, Holder: m.Lock}
		}
		m.Lock = &l
		return nil
	})
}

// Unlock implements Store.
func (s *core) Unlock(ctx context.Context, tenant string, l MoveLock) (TenantMeta, error) {
	if l.ID == "" {
		return TenantMeta{}, fmt.Errorf("%w: unlocking needs the id of the move that holds the lock", ErrInvalid)
	}
	done := false
	tm, err := s.update(ctx, tenant, func(m *Meta) error {
		switch {
		case m.Lock == nil:
			done = true
			return errNothingToDo
		case m.Lock.ID != l.ID:
			return &LockedError{Tenant: tenant, ID: l.ID, Holder: m.Lock}
		}
		m.Lock = nil
		return nil
	})
	if done {
		return s.Meta(ctx, tenant)
	}
	return tm, err
}

// errNothingToDo stops an update that would write nothing new.
var errNothingToDo = errors.New("nothing to change")

// Meta implements Store.
func (s *core) Meta(ctx context.Context, tenant string) (TenantMeta, error) {
	if err := s.checkTenant(tenant); err != nil {
		return TenantMeta{}, err
	}
	m, _, err := s.meta(ctx, tenant)
	if err != nil {
		return TenantMeta{}, err
	}
	return m.tenantMeta(), nil
}
