// Package organization manages organizations, their members and what each member may do.
package organization

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/identity/internal/event"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

// BankInfo holds bank details; nil fields are unset.
type BankInfo struct {
	AccountNumber *string `json:"account_number"`
	BankName      *string `json:"bank_name"`
	IBAN          *string `json:"iban"`
	SWIFT         *string `json:"swift"`
}

func (b *BankInfo) empty() bool {
	return b == nil || (b.AccountNumber == nil && b.BankName == nil && b.IBAN == nil && b.SWIFT == nil)
}

// Fields are an organization's writable fields. Their JSON form is what merge patches apply to.
type Fields struct {
	Name        string    `json:"name"`
	ExternalID  *string   `json:"external_id"`
	IsActive    bool      `json:"is_active"`
	Address     *string   `json:"address"`
	City        *string   `json:"city"`
	PostalCode  *string   `json:"postal_code"`
	CountryCode *string   `json:"country_code"`
	Email       *string   `json:"email"`
	Phone       *string   `json:"phone"`
	VATNumber   *string   `json:"vat_number"`
	WebsiteURL  *string   `json:"website_url"`
	BankInfo    *BankInfo `json:"bank_info"`
}

// Organization is a stored organization.
type Organization struct {
	ID uuid.UUID
	Fields
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Member is a partner's membership of an organization.
type Member struct {
	OrganizationID uuid.UUID
	PartnerID      uuid.UUID
	PartnerName    string
	Role           permission.Role
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Page selects one page of a list.
type Page struct {
	Number, Size int
}

// Offset is the number of rows before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// ListQuery selects the organizations a partner belongs to.
type ListQuery struct {
	PartnerID  uuid.UUID
	Page       Page
	SortBy     string // name, created_at, updated_at
	Descending bool
	Name       string // substring, case-insensitive; "" for any
	ExternalID *string
}

// Store persists organizations and memberships. Update and delete methods take the version the
// caller read (0 for any) and return fault.KindPreconditionFailed when it changed.
type Store interface {
	CreateOrganization(ctx context.Context, org Organization, owner uuid.UUID) error
	Organization(ctx context.Context, id uuid.UUID) (Organization, error)
	ListOrganizations(ctx context.Context, q ListQuery) ([]Organization, int, error)
	UpdateOrganization(ctx context.Context, org Organization, readVersion int64) (Organization, error)
	DeleteOrganization(ctx context.Context, id uuid.UUID, readVersion int64) error // fault.KindConflict while it owns instances
	Member(ctx context.Context, orgID, partnerID uuid.UUID) (Member, error)
	Members(ctx context.Context, orgID uuid.UUID, page Page) ([]Member, int, error)
	// PutMember sets a role; it refuses (fault.KindConflict) to leave the organization without owners.
	// PutMember reports the role the partner had before ("" when it was not a member), read in
	// the write's transaction.
	PutMember(ctx context.Context, orgID, partnerID uuid.UUID, role permission.Role) (m Member, previous permission.Role, err error)
	DeleteMember(ctx context.Context, orgID, partnerID uuid.UUID) error
	PartnerExists(ctx context.Context, id uuid.UUID) (bool, error)
}

// Service implements the organization use cases.
type Service struct {
	store  Store
	events *event.Recorder
}

// NewService returns a Service over store; member changes record their events with events.
func NewService(store Store, events *event.Recorder) *Service {
	return &Service{store: store, events: events}
}

var errNotFound = fault.NotFound("no such organization")

// Authorize returns the actor's membership of orgID when it grants every required permission. A
// non-member gets not-found, so organizations of others stay invisible; a member lacking
// permissions gets forbidden, listing them.
func (s *Service) Authorize(ctx context.Context, actor, orgID uuid.UUID, required ...permission.Permission) (Member, error) {
	m, err := s.store.Member(ctx, orgID, actor)
	if fault.Is(err, fault.KindNotFound) {
		return Member{}, errNotFound
	}
	if err != nil {
		return Member{}, err
	}
	if missing := m.Role.Missing(required...); len(missing) > 0 {
		return Member{}, fault.Forbidden(permission.Strings(missing)...)
	}
	return m, nil
}

// Create makes an organization owned by the actor.
func (s *Service) Create(ctx context.Context, actor uuid.UUID, f Fields) (Organization, error) {
	if err := f.normalizeAndValidate(); err != nil {
		return Organization{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Organization{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // what PostgreSQL stores: the next read shows the same
	org := Organization{ID: id, Fields: f, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateOrganization(ctx, org, actor); err != nil {
		return Organization{}, err
	}
	return org, nil
}

// Get returns an organization the actor may read.
func (s *Service) Get(ctx context.Context, actor, id uuid.UUID) (Organization, error) {
	if _, err := s.Authorize(ctx, actor, id, permission.OrganizationsRead); err != nil {
		return Organization{}, err
	}
	return s.store.Organization(ctx, id)
}

// List returns a page of the actor's organizations and the total count.
func (s *Service) List(ctx context.Context, q ListQuery) ([]Organization, int, error) {
	return s.store.ListOrganizations(ctx, q)
}

// Update applies a JSON Merge Patch to the writable fields. readVersion is the If-Match version
// (0 when none was sent).
func (s *Service) Update(ctx context.Context, actor, id uuid.UUID, patch []byte, readVersion int64) (Organization, error) {
	if _, err := s.Authorize(ctx, actor, id, permission.OrganizationsWrite); err != nil {
		return Organization{}, err
	}
	org, err := s.store.Organization(ctx, id)
	if err != nil {
		return Organization{}, err
	}
	if readVersion != 0 && readVersion != org.Version {
		return Organization{}, errChanged
	}
	f, err := applyPatch(org.Fields, patch)
	if err != nil {
		return Organization{}, err
	}
	if err := f.normalizeAndValidate(); err != nil {
		return Organization{}, err
	}
	org.Fields = f
	if readVersion == 0 {
		readVersion = org.Version
	}
	return s.store.UpdateOrganization(ctx, org, readVersion)
}

var unknownField = regexp.MustCompile(`unknown field "(.*)"`)

var errChanged = fault.PreconditionFailed("the organization has changed since you read it; read it again and retry")

// applyPatch merges patch into f. A patch must be a JSON object; "name": null is refused because
// the name is required.
func applyPatch(f Fields, patch []byte) (Fields, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(patch, &members); err != nil {
		return Fields{}, fault.Invalid("", "invalid_patch", "a merge patch must be a JSON object")
	}
	for _, required := range []string{"name", "is_active"} {
		if raw, ok := members[required]; ok && string(raw) == "null" {
			return Fields{}, fault.Invalid(required, "not_nullable", "this value cannot be removed")
		}
	}
	current, err := json.Marshal(f)
	if err != nil {
		return Fields{}, err
	}
	merged, err := mergepatch.Apply(current, patch)
	if err != nil {
		return Fields{}, fault.Invalid("", "invalid_patch", "the merge patch cannot be applied")
	}
	var out Fields
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields() // read-only and unknown members are refused, not ignored
	if err := dec.Decode(&out); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return Fields{}, fault.Invalid(ute.Field, "invalid_type", "this value has the wrong type")
		}
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			return Fields{}, fault.Invalid(m[1], "unknown_property", "this property is not allowed here (it is unknown or read-only)")
		}
		return Fields{}, fault.Invalid("", "invalid_patch", "the merge patch cannot be applied")
	}
	return out, nil
}

// Delete removes an organization.
func (s *Service) Delete(ctx context.Context, actor, id uuid.UUID, readVersion int64) error {
	if _, err := s.Authorize(ctx, actor, id, permission.OrganizationsDelete); err != nil {
		return err
	}
	return s.store.DeleteOrganization(ctx, id, readVersion)
}

// Members returns a page of an organization's members.
func (s *Service) Members(ctx context.Context, actor, orgID uuid.UUID, page Page) ([]Member, int, error) {
	if _, err := s.Authorize(ctx, actor, orgID, permission.MembersRead); err != nil {
		return nil, 0, err
	}
	return s.store.Members(ctx, orgID, page)
}

// PutMember adds a partner or changes its role. Granting or taking away the owner role also needs
// identity:members.owners.
func (s *Service) PutMember(ctx context.Context, actor, orgID, partnerID uuid.UUID, role permission.Role) (Member, bool, error) {
	if !role.Valid() {
		return Member{}, false, fault.Invalid("role", "invalid_choice", "unknown role")
	}
	required := []permission.Permission{permission.MembersWrite}
	existing, err := s.store.Member(ctx, orgID, partnerID)
	switch {
	case err == nil && (existing.Role == permission.Owner || role == permission.Owner):
		required = append(required, permission.MembersOwners)
	case fault.Is(err, fault.KindNotFound) && role == permission.Owner:
		required = append(required, permission.MembersOwners)
	case err != nil && !fault.Is(err, fault.KindNotFound):
		return Member{}, false, err
	}
	if _, err := s.Authorize(ctx, actor, orgID, required...); err != nil {
		return Member{}, false, err
	}
	ok, err := s.store.PartnerExists(ctx, partnerID)
	if err != nil {
		return Member{}, false, err
	}
	if !ok {
		return Member{}, false, fault.NotFound("no such partner")
	}
	var out Member
	var created bool
	err = s.events.Change(ctx, func(ctx context.Context) ([]event.New, error) {
		m, previous, err := s.store.PutMember(ctx, orgID, partnerID, role)
		if err != nil {
			return nil, err
		}
		out, created = m, previous == ""
		switch {
		case created:
			return []event.New{{Organization: orgID, Type: event.MemberAdded, Subject: partnerID, Actor: actor, Resource: m}}, nil
		case previous != role:
			return []event.New{{Organization: orgID, Type: event.MemberUpdated, Subject: partnerID, Actor: actor, Resource: m}}, nil
		}
		return nil, nil
	})
	return out, created, err
}

// RemoveMember removes a partner from an organization; members may always remove themselves
// (unless they are the last owner).
func (s *Service) RemoveMember(ctx context.Context, actor, orgID, partnerID uuid.UUID) error {
	target, err := s.store.Member(ctx, orgID, partnerID)
	if err != nil && !fault.Is(err, fault.KindNotFound) {
		return err
	}
	if actor == partnerID && err == nil {
		return s.removeMember(ctx, actor, orgID, partnerID)
	}
	required := []permission.Permission{permission.MembersWrite}
	if err == nil && target.Role == permission.Owner {
		required = append(required, permission.MembersOwners)
	}
	if _, aerr := s.Authorize(ctx, actor, orgID, required...); aerr != nil {
		return aerr
	}
	if err != nil {
		return fault.NotFound("no such member")
	}
	return s.removeMember(ctx, actor, orgID, partnerID)
}

func (s *Service) removeMember(ctx context.Context, actor, orgID, partnerID uuid.UUID) error {
	return s.events.Change(ctx, func(ctx context.Context) ([]event.New, error) {
		if err := s.store.DeleteMember(ctx, orgID, partnerID); err != nil {
			return nil, err
		}
		return []event.New{{Organization: orgID, Type: event.MemberRemoved, Subject: partnerID, Actor: actor}}, nil
	})
}
