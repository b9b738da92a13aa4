// Package partner manages partners (the companies integrating with Flowkiwi) and their OAuth 2.0
// API clients: several per partner, each with a secret that can be rolled with an overlap, revoked,
// and every change recorded with who made it.
package partner

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Partner is a company integrating with the platform.
type Partner struct {
	ID             uuid.UUID
	Name           string
	CreatedAt      time.Time
	DisabledAt     *time.Time // set by an operator: no tokens, and issued ones stop working
	DisabledReason *string
	ActiveClients  int // filled by listings
}

// Credentials are a new secret: shown once and never stored.
type Credentials struct {
	PartnerID    uuid.UUID `json:"partner_id"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
}

// Client is a stored API client.
type Client struct {
	ClientID                string
	PartnerID               uuid.UUID
	Name                    string
	CreatedAt               time.Time
	LastUsedAt              *time.Time
	SecretHash              []byte
	PreviousSecretHash      []byte     // the secret before the last rotation, while it works
	PreviousSecretExpiresAt *time.Time // when PreviousSecretHash stops working
	PartnerDisabled         bool
	Scopes                  []string // what its tokens may do beyond a partner's API (the operator's to grant)
}

// Issued is a client with its new secret.
type Issued struct {
	Client
	Secret string
}

// EventType names a credential change.
type EventType string

const (
	ClientCreated   EventType = "client.created"
	ClientRenamed   EventType = "client.renamed"
	ClientRotated   EventType = "client.rotated"
	ClientRevoked   EventType = "client.revoked"
	PartnerDisabled EventType = "partner.disabled"
	PartnerEnabled  EventType = "partner.enabled"
)

// Actor is who made a change: a partner through the API, or an operator with the CLI.
type Actor struct {
	PartnerID uuid.UUID // uuid.Nil for operators
}

// Operator is the actor of CLI commands.
var Operator = Actor{}

// Type is "partner" or "operator".
func (a Actor) Type() string {
	if a.PartnerID == uuid.Nil {
		return "operator"
	}
	return "partner"
}

// Event is one recorded credential change.
type Event struct {
	ID         uuid.UUID
	PartnerID  uuid.UUID
	Type       EventType
	ClientID   *string
	Actor      Actor
	Detail     *string
	OccurredAt time.Time
}

// Page selects a page of a listing.
type Page struct{ Number, Size int }

// Store persists partners and their events.
type Store interface {
	CreatePartner(ctx context.Context, p Partner, c Client, e Event) error
	Partner(ctx context.Context, id uuid.UUID) (Partner, error)
	Partners(ctx context.Context) ([]Partner, error)
	// SetPartnerDisabled disables (at != nil) or enables a partner and records e.
	SetPartnerDisabled(ctx context.Context, id uuid.UUID, at *time.Time, reason *string, e Event) (Partner, error)
	Events(ctx context.Context, partnerID uuid.UUID, p Page) ([]Event, int, error)
}

// ClientStore persists API clients. Every method that changes one records its event in the same
// transaction.
type ClientStore interface {
	// Client returns an active (unrevoked) client; fault.KindNotFound otherwise.
	Client(ctx context.Context, clientID string) (Client, error)
	Clients(ctx context.Context, partnerID uuid.UUID) ([]Client, error)
	AddClient(ctx context.Context, c Client, e Event) error
	RenameClient(ctx context.Context, partnerID uuid.UUID, clientID, name string, e Event) (Client, error)
	// RotateSecret makes hash the secret and the current one the previous, working until
	// previousUntil (nil: it stops at once).
	RotateSecret(ctx context.Context, partnerID uuid.UUID, clientID string, hash []byte, previousUntil *time.Time, e Event) (Client, error)
	// RevokeClient refuses (ErrLastClient) to revoke an enabled partner's last active client.
	RevokeClient(ctx context.Context, partnerID uuid.UUID, clientID string, e Event) error
	// TouchClient notes that a token was issued (at most once a minute per client).
	TouchClient(ctx context.Context, clientID string) error
	// ClientActive reports whether the client is unrevoked and its partner enabled.
	ClientActive(ctx context.Context, partnerID uuid.UUID, clientID string) (bool, error)
}

// Storage is everything the service stores.
type Storage interface {
	Store
	ClientStore
}

// ErrInvalidClient is returned for any failed client authentication, whatever the reason.
var ErrInvalidClient = errors.New("invalid client credentials")

// ErrLastClient refuses to revoke the last active client of an enabled partner.
var ErrLastClient = fault.Conflict("this is your last active API client: create another before revoking it")

// MaxOverlap is the longest a rotated-out secret keeps working.
const MaxOverlap = 7 * 24 * time.Hour

// Service creates, authenticates and manages partners and their clients.
type Service struct {
	store    Storage
	cost     int
	dummy    []byte // a hash to compare against for unknown clients, so timing does not reveal them
	failures *failures
	now      func() time.Time
}

// NewService returns a Service hashing secrets with bcrypt at cost (bcrypt.DefaultCost when 0).
func NewService(store Storage, cost int) *Service {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy-secret-for-timing"), cost)
	// Times are cut to what PostgreSQL stores, so a create's answer and the next read agree.
	now := func() time.Time { return time.Now().Truncate(time.Microsecond) }
	return &Service{store: store, cost: cost, dummy: dummy, failures: newFailures(), now: now}
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", fault.Invalid("name", "invalid_length", "the name must be 1 to 200 characters long")
	}
	return name, nil
}

func (s *Service) event(partnerID uuid.UUID, t EventType, clientID *string, a Actor, detail *string) Event {
	id, _ := uuid.NewV7()
	return Event{ID: id, PartnerID: partnerID, Type: t, ClientID: clientID, Actor: a, Detail: detail, OccurredAt: s.now().UTC()}
}

// newSecret returns a secret and its bcrypt hash.
func (s *Service) newSecret() (string, []byte, error) {
	secret := "fks_" + randomString(32)
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.cost)
	return secret, hash, err
}

func (s *Service) newClient(partnerID uuid.UUID, name string) (Issued, error) {
	secret, hash, err := s.newSecret()
	if err != nil {
		return Issued{}, err
	}
	c := Client{ClientID: "fkc_" + randomString(12), PartnerID: partnerID, Name: name, CreatedAt: s.now().UTC(), SecretHash: hash}
	return Issued{Client: c, Secret: secret}, nil
}

// Create makes a partner with one API client (named "Default"), granted scopes: only the operator
// CLI grants any (identity service create: a service's credential).
func (s *Service) Create(ctx context.Context, name string, scopes ...string) (Credentials, error) {
	name, err := validName(name)
	if err != nil {
		return Credentials{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Credentials{}, err
	}
	issued, err := s.newClient(id, "Default")
	if err != nil {
		return Credentials{}, err
	}
	issued.Scopes = scopes
	p := Partner{ID: id, Name: name, CreatedAt: s.now().UTC()}
	if err := s.store.CreatePartner(ctx, p, issued.Client, s.event(id, ClientCreated, &issued.ClientID, Operator, nil)); err != nil {
		return Credentials{}, err
	}
	return Credentials{PartnerID: id, ClientID: issued.ClientID, ClientSecret: issued.Secret}, nil
}

// Authenticate checks a client's secret (the current one, or the previous one during a rotation's
// overlap) and returns its partner. Revoked clients and disabled partners fail like wrong secrets.
// A client_id with too many failures in a row is refused for a while (a fault of kind rate
// limited), so secrets cannot be guessed online. It returns the client's scopes with its partner.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (uuid.UUID, []string, error) {
	if len(clientID) > 100 || len(secret) > 72 { // bcrypt reads at most 72 bytes
		return uuid.Nil, nil, ErrInvalidClient
	}
	now := s.now()
	if wait := s.failures.blocked(clientID, now); wait > 0 {
		e := fault.New(fault.KindRateLimited, "too many failed attempts for this client; retry later")
		e.RetryAfter = wait
		return uuid.Nil, nil, e
	}
	c, err := s.store.Client(ctx, clientID)
	if fault.Is(err, fault.KindNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(secret))
		s.failures.fail(clientID, now)
		return uuid.Nil, nil, ErrInvalidClient
	}
	if err != nil {
		return uuid.Nil, nil, err
	}
	ok := bcrypt.CompareHashAndPassword(c.SecretHash, []byte(secret)) == nil
	if !ok && c.PreviousSecretHash != nil && c.PreviousSecretExpiresAt != nil && now.Before(*c.PreviousSecretExpiresAt) {
		ok = bcrypt.CompareHashAndPassword(c.PreviousSecretHash, []byte(secret)) == nil
	}
	// Belt and braces against a store returning another client's row.
	if !ok || c.PartnerDisabled || subtle.ConstantTimeCompare([]byte(c.ClientID), []byte(clientID)) != 1 {
		s.failures.fail(clientID, now)
		return uuid.Nil, nil, ErrInvalidClient
	}
	if err := s.store.TouchClient(ctx, clientID); err != nil {
		return uuid.Nil, nil, err
	}
	return c.PartnerID, c.Scopes, nil
}

// Active reports whether a token's client may still act (accesstoken.Verifier.Active).
func (s *Service) Active(ctx context.Context, partnerID uuid.UUID, clientID string) (bool, error) {
	return s.store.ClientActive(ctx, partnerID, clientID)
}

// Get returns a partner.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Partner, error) {
	return s.store.Partner(ctx, id)
}

// List returns every partner with its number of active clients (operators).
func (s *Service) List(ctx context.Context) ([]Partner, error) { return s.store.Partners(ctx) }

// Clients returns a partner's active clients.
func (s *Service) Clients(ctx context.Context, partnerID uuid.UUID) ([]Client, error) {
	return s.store.Clients(ctx, partnerID)
}

// Client returns one of a partner's active clients; another partner's is not found.
func (s *Service) Client(ctx context.Context, partnerID uuid.UUID, clientID string) (Client, error) {
	c, err := s.store.Client(ctx, clientID)
	if err != nil {
		return Client{}, err
	}
	if c.PartnerID != partnerID {
		return Client{}, fault.NotFound("no such client")
	}
	return c, nil
}

// AddClient gives a partner another client.
func (s *Service) AddClient(ctx context.Context, partnerID uuid.UUID, name string, by Actor) (Issued, error) {
	name, err := validName(name)
	if err != nil {
		return Issued{}, err
	}
	if _, err := s.store.Partner(ctx, partnerID); err != nil {
		return Issued{}, err
	}
	issued, err := s.newClient(partnerID, name)
	if err != nil {
		return Issued{}, err
	}
	if err := s.store.AddClient(ctx, issued.Client, s.event(partnerID, ClientCreated, &issued.ClientID, by, nil)); err != nil {
		return Issued{}, err
	}
	return issued, nil
}

// RenameClient renames one of a partner's clients.
func (s *Service) RenameClient(ctx context.Context, partnerID uuid.UUID, clientID, name string, by Actor) (Client, error) {
	name, err := validName(name)
	if err != nil {
		return Client{}, err
	}
	return s.store.RenameClient(ctx, partnerID, clientID, name, s.event(partnerID, ClientRenamed, &clientID, by, &name))
}

// Rotate gives a client a new secret; the previous one works for overlap more (0: not at all, at
// most MaxOverlap). Rotating during an overlap ends the older secret at once.
func (s *Service) Rotate(ctx context.Context, partnerID uuid.UUID, clientID string, overlap time.Duration, by Actor) (Issued, error) {
	if overlap < 0 || overlap > MaxOverlap {
		return Issued{}, fault.Invalid("previous_secret_expires_in", "out_of_range", "the overlap must be 0 to 604800 seconds (7 days)")
	}
	secret, hash, err := s.newSecret()
	if err != nil {
		return Issued{}, err
	}
	var until *time.Time
	if overlap > 0 {
		t := s.now().UTC().Add(overlap)
		until = &t
	}
	detail := fmt.Sprintf("the previous secret works for %s more", overlap)
	c, err := s.store.RotateSecret(ctx, partnerID, clientID, hash, until, s.event(partnerID, ClientRotated, &clientID, by, &detail))
	if err != nil {
		return Issued{}, err
	}
	return Issued{Client: c, Secret: secret}, nil
}

// Revoke ends a client: its secrets and its tokens stop working at once.
func (s *Service) Revoke(ctx context.Context, partnerID uuid.UUID, clientID string, by Actor) error {
	return s.store.RevokeClient(ctx, partnerID, clientID, s.event(partnerID, ClientRevoked, &clientID, by, nil))
}

// OperatorClientPartner returns the partner of an active client, for operator commands that name
// only the client.
func (s *Service) OperatorClientPartner(ctx context.Context, clientID string) (uuid.UUID, error) {
	c, err := s.store.Client(ctx, clientID)
	return c.PartnerID, err
}

// Disable stops a partner (operators): no new tokens, and issued ones stop working.
func (s *Service) Disable(ctx context.Context, id uuid.UUID, reason string) (Partner, error) {
	at := s.now().UTC()
	var r *string
	if reason = strings.TrimSpace(reason); reason != "" {
		r = &reason
	}
	return s.store.SetPartnerDisabled(ctx, id, &at, r, s.event(id, PartnerDisabled, nil, Operator, r))
}

// Enable lets a disabled partner act again (operators).
func (s *Service) Enable(ctx context.Context, id uuid.UUID) (Partner, error) {
	return s.store.SetPartnerDisabled(ctx, id, nil, nil, s.event(id, PartnerEnabled, nil, Operator, nil))
}

// Events returns a page of a partner's credential events, newest first.
func (s *Service) Events(ctx context.Context, partnerID uuid.UUID, p Page) ([]Event, int, error) {
	return s.store.Events(ctx, partnerID, p)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
