package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
)

// Channel is a sales channel with one currency.
type Channel struct {
	ID        uuid.UUID
	Code      string
	Name      string
	Currency  string
	Countries []string // ISO codes
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChannelInput creates or changes a channel (nil fields unchanged on update).
type ChannelInput struct {
	Code, Name, Currency *string
	Countries            *[]string // ISO 3166-1 codes
}

// ChannelStore persists channels.
type ChannelStore interface {
	Channels(ctx context.Context, instance uuid.UUID) ([]Channel, error)
	ChannelsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]Channel, error)
	CreateChannel(ctx context.Context, instance uuid.UUID, c Channel) error
	UpdateChannel(ctx context.Context, instance uuid.UUID, c Channel) error
	DeleteChannel(ctx context.Context, instance, id uuid.UUID) error
}

var channelCode = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

const invalidCountry = "not an ISO 3166-1 country (its code, or its IRI)"

// CountryCode reads an ISO 3166-1 alpha-2 code, in any case.
func CountryCode(s string) (string, bool) {
	code := strings.ToUpper(s)
	_, ok := iso.CountryByCode(code)
	return code, ok
}

// NewChannel validates a new channel.
func NewChannel(in ChannelInput) (Channel, error) {
	var vs fault.Violations
	c := Channel{ID: newID(), Countries: []string{}}
	if in.Code == nil || !channelCode.MatchString(*in.Code) {
		vs.Add("code", "invalid_code", "lowercase letters, digits, - and _ (1 to 64 characters)")
	} else {
		c.Code = *in.Code
	}
	c.Name = strings.TrimSpace(deref(in.Name))
	if c.Name == "" {
		vs.Add("name", "required", "the name must not be empty")
	}
	c.Currency = strings.ToUpper(deref(in.Currency))
	if _, ok := iso.CurrencyByCode(c.Currency); !ok {
		vs.Add("currency", "invalid_currency", "not an ISO 4217 currency code")
	}
	if in.Countries != nil {
		c.Countries = countries("countries", *in.Countries, &vs)
	}
	return c, vs.Err()
}

func countries(path string, in []string, vs *fault.Violations) []string {
	out := []string{}
	seen := map[string]bool{}
	for i, s := range in {
		code, ok := CountryCode(s)
		if !ok {
			vs.Add(fmt.Sprintf("%s[%d]", path, i), "invalid_country", invalidCountry)
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ApplyChannel applies a patch.
func ApplyChannel(c Channel, in ChannelInput) (Channel, error) {
	var vs fault.Violations
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
		if c.Name == "" {
			vs.Add("name", "required", "the name must not be empty")
		}
	}
	if in.Countries != nil {
		c.Countries = countries("countries", *in.Countries, &vs)
	}
	return c, vs.Err()
}

// Channels lists the instance's channels.
func (s *Service) Channels(ctx context.Context, instance uuid.UUID) ([]Channel, error) {
	return s.channels.Channels(ctx, instance)
}

// Channel reads one channel.
func (s *Service) Channel(ctx context.Context, instance, id uuid.UUID) (Channel, error) {
	list, err := s.channels.ChannelsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such channel")
}

// CreateChannel validates and stores a channel.
func (s *Service) CreateChannel(ctx context.Context, instance uuid.UUID, in ChannelInput) (Channel, error) {
	c, err := NewChannel(in)
	if err != nil {
		return Channel{}, err
	}
	return save(ctx, s, instance, KindChannel, Created, c.ID, Touch{},
		func(ctx context.Context) error { return s.channels.CreateChannel(ctx, instance, c) },
		func(ctx context.Context) (Channel, error) { return s.Channel(ctx, instance, c.ID) })
}

// UpdateChannel applies a patch to a channel.
func (s *Service) UpdateChannel(ctx context.Context, instance, id uuid.UUID, in ChannelInput) (Channel, error) {
	cur, err := s.Channel(ctx, instance, id)
	if err != nil {
		return Channel{}, err
	}
	c, err := ApplyChannel(cur, in)
	if err != nil {
		return Channel{}, err
	}
	return save(ctx, s, instance, KindChannel, Updated, id, Touch{},
		func(ctx context.Context) error { return s.channels.UpdateChannel(ctx, instance, c) },
		func(ctx context.Context) (Channel, error) { return s.Channel(ctx, instance, id) })
}

// DeleteChannel removes a channel no product or price uses.
func (s *Service) DeleteChannel(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindChannel, id.String(), Touch{}, func(ctx context.Context) error { return s.channels.DeleteChannel(ctx, instance, id) })
}

func (s *Service) channelMap(ctx context.Context, instance uuid.UUID) (map[uuid.UUID]Channel, error) {
	memo := lookupsOf(ctx)
	if m := memo.channelMap(); m != nil {
		return m, nil
	}
	list, err := s.channels.Channels(ctx, instance)
	if err != nil {
		return nil, err
	}
	m := index(list, func(c Channel) uuid.UUID { return c.ID })
	memo.setChannels(m)
	return m, nil
}
