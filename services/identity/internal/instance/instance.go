// Package instance manages instances (workspaces): creation with a permanent handle, renaming,
// deletion, transfer between organizations and the access check the product services rely on.
package instance

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/event"
	"github.com/flowkiwi/platform/services/identity/internal/handle"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

// Instance is a workspace owned by an organization.
type Instance struct {
	ID                      uuid.UUID
	Name                    string
	Handle                  string
	OrganizationID          uuid.UUID
	CreatedByOrganizationID uuid.UUID
	OwnershipVersion        int64
	Version                 int64
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Transfer records one change of ownership.
type Transfer struct {
	ID               uuid.UUID
	InstanceID       uuid.UUID
	From, To         uuid.UUID
	By               uuid.UUID
	At               time.Time
	OwnershipVersion int64
}

// Access is what a member of the owning organization may do on an instance.
type Access struct {
	Instance    Instance
	Permissions []permission.Permission
}

// ListQuery selects a page of an organization's instances.
type ListQuery struct {
	OrganizationID uuid.UUID
	Page           organization.Page
	SortBy         string // name, handle, created_at, updated_at
	Descending     bool
}

// Store persists instances. Lookups are scoped to the owning organization: an instance owned by
// another organization is not found.
type Store interface {
	CreateInstance(ctx context.Context, in Instance) error // fault.KindConflict when the handle was ever used
	Instance(ctx context.Context, orgID, id uuid.UUID) (Instance, error)
	ListInstances(ctx context.Context, q ListQuery) ([]Instance, int, error)
	RenameInstance(ctx context.Context, orgID, id uuid.UUID, name string, readVersion int64) (Instance, error)
	DeleteInstance(ctx context.Context, orgID, id uuid.UUID, readVersion int64) error
	TransferInstance(ctx context.Context, orgID, id, to, by uuid.UUID) (Instance, error)
	Transfers(ctx context.Context, instanceID uuid.UUID) ([]Transfer, error)
	// Access returns the instance with this handle owned by orgID and the role of partnerID there.
	Access(ctx context.Context, handle string, orgID, partnerID uuid.UUID) (Instance, permission.Role, error)
}

// Authorizer checks a partner's permissions in an organization.
type Authorizer interface {
	Authorize(ctx context.Context, actor, orgID uuid.UUID, required ...permission.Permission) (organization.Member, error)
}

// Service implements the instance use cases.
type Service struct {
	store  Store
	auth   Authorizer
	events *event.Recorder
}

// NewService returns a Service; every change records its event with events.
func NewService(store Store, auth Authorizer, events *event.Recorder) *Service {
	return &Service{store: store, auth: auth, events: events}
}

// record makes write and its event one transaction; write returns the instance the event shows,
// recorded in the feed of the organization that owns it and in those of alsoTo.
func (s *Service) record(ctx context.Context, typ string, actor uuid.UUID, write func(ctx context.Context) (Instance, error), alsoTo ...uuid.UUID) (Instance, error) {
	var out Instance
	err := s.events.Change(ctx, func(ctx context.Context) ([]event.New, error) {
		in, err := write(ctx)
		if err != nil {
			return nil, err
		}
		out = in
		news := []event.New{{Organization: in.OrganizationID, Type: typ, Subject: in.ID, Actor: actor, Resource: in}}
		for _, org := range alsoTo {
			news = append(news, event.New{Organization: org, Type: typ, Subject: in.ID, Actor: actor, Resource: in})
		}
		return news, nil
	})
	return out, err
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", fault.Invalid("name", "invalid_length", "the name must be 1 to 200 characters long")
	}
	return name, nil
}

// Create makes an instance owned by orgID.
func (s *Service) Create(ctx context.Context, actor, orgID uuid.UUID, name, h string) (Instance, error) {
	if _, err := s.auth.Authorize(ctx, actor, orgID, permission.InstancesWrite); err != nil {
		return Instance{}, err
	}
	var vs fault.Violations
	name, err := validName(name)
	vs.Take(err)
	vs.Take(handle.Validate(h))
	if err := vs.Err(); err != nil {
		return Instance{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Instance{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL stores: the next read shows the same
	in := Instance{ID: id, Name: name, Handle: h, OrganizationID: orgID, CreatedByOrganizationID: orgID,
		OwnershipVersion: 1, Version: 1, CreatedAt: now, UpdatedAt: now}
	return s.record(ctx, event.InstanceCreated, actor, func(ctx context.Context) (Instance, error) {
		return in, s.store.CreateInstance(ctx, in)
	})
}

// Get returns an instance of orgID.
func (s *Service) Get(ctx context.Context, actor, orgID, id uuid.UUID) (Instance, error) {
	if _, err := s.auth.Authorize(ctx, actor, orgID, permission.InstancesRead); err != nil {
		return Instance{}, err
	}
	return s.store.Instance(ctx, orgID, id)
}

// List returns a page of orgID's instances.
func (s *Service) List(ctx context.Context, actor uuid.UUID, q ListQuery) ([]Instance, int, error) {
	if _, err := s.auth.Authorize(ctx, actor, q.OrganizationID, permission.InstancesRead); err != nil {
		return nil, 0, err
	}
	return s.store.ListInstances(ctx, q)
}

// Rename applies a JSON Merge Patch that may only change the name.
func (s *Service) Rename(ctx context.Context, actor, orgID, id uuid.UUID, patch []byte, readVersion int64) (Instance, error) {
	if _, err := s.auth.Authorize(ctx, actor, orgID, permission.InstancesWrite); err != nil {
		return Instance{}, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(patch, &members); err != nil || members == nil {
		return Instance{}, fault.Invalid("", "invalid_patch", "a merge patch must be a JSON object")
	}
	var vs fault.Violations
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "name":
		case "handle":
			vs.Add(k, "immutable", "the handle can never change")
		default:
			vs.Add(k, "unknown_property", "only the name can be changed")
		}
	}
	var name *string
	if raw, ok := members["name"]; ok {
		var n *string
		switch {
		case string(raw) == "null":
			vs.Add("name", "not_nullable", "the name cannot be removed")
		case json.Unmarshal(raw, &n) != nil:
			vs.Add("name", "invalid_type", "the name must be a string")
		default:
			if v, err := validName(*n); !vs.Take(err) {
				name = &v
			}
		}
	}
	if err := vs.Err(); err != nil {
		return Instance{}, err
	}
	current, err := s.store.Instance(ctx, orgID, id)
	if err != nil {
		return Instance{}, err
	}
	if readVersion != 0 && readVersion != current.Version {
		return Instance{}, errChanged
	}
	if name == nil || *name == current.Name {
		return current, nil // nothing to change: the version stays, so ETags stay valid
	}
	return s.record(ctx, event.InstanceRenamed, actor, func(ctx context.Context) (Instance, error) {
		return s.store.RenameInstance(ctx, orgID, id, *name, current.Version)
	})
}

var errChanged = fault.PreconditionFailed("the instance has changed since you read it; read it again and retry")

// Delete removes an instance; its handle stays reserved.
func (s *Service) Delete(ctx context.Context, actor, orgID, id uuid.UUID, readVersion int64) error {
	if _, err := s.auth.Authorize(ctx, actor, orgID, permission.InstancesDelete); err != nil {
		return err
	}
	return s.events.Change(ctx, func(ctx context.Context) ([]event.New, error) {
		if err := s.store.DeleteInstance(ctx, orgID, id, readVersion); err != nil {
			return nil, err
		}
		return []event.New{{Organization: orgID, Type: event.InstanceDeleted, Subject: id, Actor: actor}}, nil
	})
}

// Transfer moves an instance from orgID to target. The actor needs the transfer permission in orgID
// and membership of target.
func (s *Service) Transfer(ctx context.Context, actor, orgID, id, target uuid.UUID) (Instance, error) {
	if _, err := s.auth.Authorize(ctx, actor, orgID, permission.InstancesTransfer); err != nil {
		return Instance{}, err
	}
	if _, err := s.store.Instance(ctx, orgID, id); err != nil {
		return Instance{}, err
	}
	if target == orgID {
		return Instance{}, fault.Invalid("target_organization_id", "same_organization", "the instance already belongs to this organization")
	}
	if _, err := s.auth.Authorize(ctx, actor, target); err != nil {
		if fault.Is(err, fault.KindNotFound) {
			return Instance{}, fault.Invalid("target_organization_id", "not_a_member", "the target organization does not exist or you are not a member of it")
		}
		return Instance{}, err
	}
	// Both feeds: the organization the instance joined and the one it left.
	return s.record(ctx, event.InstanceTransferred, actor, func(ctx context.Context) (Instance, error) {
		return s.store.TransferInstance(ctx, orgID, id, target, actor)
	}, orgID)
}

// Transfers returns the ownership history of an instance of orgID.
func (s *Service) Transfers(ctx context.Context, actor, orgID, id uuid.UUID) ([]Transfer, error) {
	if _, err := s.Get(ctx, actor, orgID, id); err != nil {
		return nil, err
	}
	return s.store.Transfers(ctx, id)
}

// CheckAccess answers whether actor may act as orgID on the instance with this handle: the
// instance must be owned by orgID and the actor must be a member. Every other case is not found.
func (s *Service) CheckAccess(ctx context.Context, actor, orgID uuid.UUID, h string) (Access, error) {
	if len(h) > handle.MaxLength {
		return Access{}, fault.NotFound("no such instance")
	}
	in, role, err := s.store.Access(ctx, h, orgID, actor)
	if err != nil {
		return Access{}, err
	}
	return Access{Instance: in, Permissions: role.Permissions()}, nil
}
