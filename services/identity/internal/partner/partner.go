// Package partner manages partners (the companies integrating with Flowkiwi) and their OAuth 2.0
// API clients.
package partner

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Partner is a company integrating with the platform.
type Partner struct {
	ID        uuid.UUID
	Name      string
	CreatedAt time.Time
}

// Credentials are a new API client's credentials; the secret is shown once and never stored.
type Credentials struct {
	PartnerID    uuid.UUID `json:"partner_id"`
	ClientID     string    `json:"client_id"`
	ClientSecret string    `json:"client_secret"`
}

// Client is a stored API client.
type Client struct {
	ClientID   string
	PartnerID  uuid.UUID
	SecretHash []byte
}

// Store persists partners and clients.
type Store interface {
	CreatePartner(ctx context.Context, p Partner, c Client) error
	Client(ctx context.Context, clientID string) (Client, error) // fault.KindNotFound when unknown or revoked
	Partner(ctx context.Context, id uuid.UUID) (Partner, error)
}

// ErrInvalidClient is returned for any failed client authentication, whatever the reason.
var ErrInvalidClient = errors.New("invalid client credentials")

// Service creates and authenticates partners.
type Service struct {
	store Store
	cost  int
	dummy []byte // a hash to compare against for unknown clients, so timing does not reveal them
}

// NewService returns a Service hashing secrets with bcrypt at cost (bcrypt.DefaultCost when 0).
func NewService(store Store, cost int) *Service {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("dummy-secret-for-timing"), cost)
	return &Service{store: store, cost: cost, dummy: dummy}
}

// Create makes a partner with one API client.
func (s *Service) Create(ctx context.Context, name string) (Credentials, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Credentials{}, fault.Invalid("name", "invalid_length", "the name must be 1 to 200 characters long")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Credentials{}, err
	}
	clientID := "fkc_" + randomString(12)
	secret := "fks_" + randomString(32)
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.cost)
	if err != nil {
		return Credentials{}, err
	}
	p := Partner{ID: id, Name: name, CreatedAt: time.Now().UTC()}
	if err := s.store.CreatePartner(ctx, p, Client{ClientID: clientID, PartnerID: id, SecretHash: hash}); err != nil {
		return Credentials{}, err
	}
	return Credentials{PartnerID: id, ClientID: clientID, ClientSecret: secret}, nil
}

// Authenticate checks a client's secret and returns its partner.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (uuid.UUID, error) {
	if len(clientID) > 100 || len(secret) > 72 { // bcrypt reads at most 72 bytes
		return uuid.Nil, ErrInvalidClient
	}
	c, err := s.store.Client(ctx, clientID)
	if fault.Is(err, fault.KindNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummy, []byte(secret))
		return uuid.Nil, ErrInvalidClient
	}
	if err != nil {
		return uuid.Nil, err
	}
	if bcrypt.CompareHashAndPassword(c.SecretHash, []byte(secret)) != nil {
		return uuid.Nil, ErrInvalidClient
	}
	// Belt and braces against a store returning another client's row.
	if subtle.ConstantTimeCompare([]byte(c.ClientID), []byte(clientID)) != 1 {
		return uuid.Nil, ErrInvalidClient
	}
	return c.PartnerID, nil
}

// Get returns a partner.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Partner, error) {
	return s.store.Partner(ctx, id)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
