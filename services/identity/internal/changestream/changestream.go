// Package changestream is identity's change stream for services: every change another service
// must act on (instances created, renamed, transferred and deleted; members added, changed and
// removed; API clients revoked; partners disabled and enabled), over every organization, numbered
// in commit order. product-management follows it to drop access it cached and to purge a deleted
// instance's catalog. Only a client holding the identity:changes.read scope reads it, granted by
// the operator CLI (identity service create), never by a partner's request.
package changestream

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Scope is what a client's token must carry to read the stream.
const Scope = "identity:changes.read"

// The types of change the stream carries besides the organizations' events (package event).
const (
	ClientRevoked   = "client.revoked"
	PartnerDisabled = "partner.disabled"
	PartnerEnabled  = "partner.enabled"
)

// Change is one change of the stream.
type Change struct {
	Position     int64 // its number: 1, 2, 3, ... in commit order
	ID           uuid.UUID
	Type         string
	Organization *uuid.UUID // instance.* and member.*
	Subject      uuid.UUID  // the instance; the member partner; the client's partner; the partner
	Client       *string    // client.revoked
	Data         json.RawMessage
	At           time.Time
}

// Store reads the stream.
type Store interface {
	// ServiceChanges lists up to limit changes numbered after after, in order, and the newest
	// number (the head).
	ServiceChanges(ctx context.Context, after int64, limit int) ([]Change, int64, error)
}

// Signal wakes waiting readers when changes commit. Wait's channel is closed at the next commit
// after the call (or never, when notifications are lost: readers ask again every pollEvery).
type Signal interface {
	Wait() <-chan struct{}
}

// Limits of a read.
const (
	MaxLimit = 500
	MaxWait  = 30 * time.Second
	// pollEvery bounds how long a waiting read trusts the signal alone.
	pollEvery = time.Second
)

// Service serves the stream.
type Service struct {
	store  Store
	signal Signal
}

// NewService returns the stream over store, woken by signal.
func NewService(store Store, signal Signal) *Service { return &Service{store: store, signal: signal} }

// Page is a read of the stream: the changes after the position asked, and the head.
type Page struct {
	Changes []Change
	Head    int64
}

// Read lists up to limit changes after after for a caller holding scopes. With none yet and wait
// above zero, it waits until one commits or wait has passed (long polling).
func (s *Service) Read(ctx context.Context, scopes []string, after int64, limit int, wait time.Duration) (Page, error) {
	if !slices.Contains(scopes, Scope) {
		return Page{}, fault.Forbidden(Scope)
	}
	limit = min(max(limit, 1), MaxLimit)
	deadline := time.Now().Add(min(wait, MaxWait))
	for {
		woken := s.signal.Wait() // asked before reading: a commit after the read closes it
		changes, head, err := s.store.ServiceChanges(ctx, after, limit)
		if err != nil || len(changes) > 0 {
			return Page{Changes: changes, Head: head}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return Page{Changes: []Change{}, Head: head}, nil
		}
		t := time.NewTimer(min(left, pollEvery))
		select {
		case <-woken:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Page{Changes: []Change{}, Head: head}, nil
		}
		t.Stop()
	}
}
