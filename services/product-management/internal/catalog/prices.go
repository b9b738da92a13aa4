package catalog

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
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
	Countries            *[]string // codes or /rest/api/countries/XX
}

// PriceInput sets a price.
type PriceInput struct {
	Variant    uuid.UUID
	Channel    *string // channel IRI or id; nil for every channel
	Country    *string // country IRI or code; nil for every country
	Currency   string
	Amount     string
	CompareAt  *string
	ValidFrom  *time.Time
	ValidUntil *time.Time
}

// PriceChange is a merge patch of a price.
type PriceChange struct {
	Amount         *string
	CompareAt      *string
	ClearCompareAt bool
	ValidUntil     *time.Time
	ClearUntil     bool
}

// PriceStore persists channels and prices.
type PriceStore interface {
	Channels(ctx context.Context, instance uuid.UUID) ([]Channel, error)
	ChannelsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]Channel, error)
	CreateChannel(ctx context.Context, instance uuid.UUID, c Channel) error
	UpdateChannel(ctx context.Context, instance uuid.UUID, c Channel) error
	DeleteChannel(ctx context.Context, instance, id uuid.UUID) error
	VariantProduct(ctx context.Context, instance, variantID uuid.UUID) (uuid.UUID, error)
	CreatePrices(ctx context.Context, instance uuid.UUID, rows []price.Row) error
	CurrentPrices(ctx context.Context, instance uuid.UUID, variant *uuid.UUID, page, perPage int) ([]price.Row, int, error)
	Price(ctx context.Context, instance, id uuid.UUID) (price.Row, error)
	ChangePrice(ctx context.Context, instance, id uuid.UUID, change func(current price.Row, now time.Time) (price.Row, error)) (price.Row, error)
	EndPrice(ctx context.Context, instance, id uuid.UUID) error
	PriceHistory(ctx context.Context, instance uuid.UUID, products []uuid.UUID, currency string) ([]price.Row, error)
}

var channelCode = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// CountryCode accepts a country IRI or code.
func CountryCode(s string) (string, bool) {
	code := strings.ToUpper(strings.TrimPrefix(s, "/rest/api/countries/"))
	_, ok := iso.CountryByCode(code)
	return code, ok
}

// ParseIRI reads the id of an IRI under prefix (or a bare id).
func ParseIRI(s, prefix string) (uuid.UUID, bool) {
	id, err := uuid.Parse(strings.TrimPrefix(s, prefix))
	return id, err == nil && len(strings.TrimPrefix(s, prefix)) == 36
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
			vs.Add(path+"["+itoa(i)+"]", "invalid_country", "not an ISO 3166-1 country (code or /rest/api/countries/{code})")
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
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

// BuildPrice validates a price input against the instance's channels; path prefixes violations
// ("prices[0]." inside a variant).
func BuildPrice(path string, in PriceInput, channels map[uuid.UUID]Channel, now time.Time) (price.Row, error) {
	var vs fault.Violations
	r := price.Row{ID: newID(), Revision: 1, VariantID: in.Variant, Currency: strings.ToUpper(in.Currency), Start: now}
	cur, ok := iso.CurrencyByCode(r.Currency)
	if !ok {
		vs.Add(path+"currency", "invalid_currency", "not an ISO 4217 currency code")
	}
	if in.Channel != nil {
		id, ok := ParseIRI(*in.Channel, "/rest/api/channels/")
		ch, exists := channels[id]
		switch {
		case !ok || !exists:
			vs.Add(path+"channel", "unknown_channel", "no such channel in this instance")
		case ch.Currency != r.Currency:
			vs.Add(path+"currency", "currency_mismatch", "a channel's prices are in its currency, "+ch.Currency)
		default:
			r.ChannelID = &id
		}
	}
	if in.Country != nil {
		code, ok := CountryCode(*in.Country)
		if !ok {
			vs.Add(path+"country", "invalid_country", "not an ISO 3166-1 country (code or /rest/api/countries/{code})")
		}
		r.Country = code
	}
	if ok {
		amount, err := price.ParseAmount(in.Amount, cur.MinorUnits)
		if err != nil {
			vs.Add(path+"amount", "invalid_amount", "a non-negative decimal with at most "+itoa(cur.MinorUnits)+" decimals, such as 19.99")
		}
		r.Amount = amount
		if in.CompareAt != nil {
			ca, err := price.ParseAmount(*in.CompareAt, cur.MinorUnits)
			if err != nil {
				vs.Add(path+"compareAtAmount", "invalid_amount", "a non-negative decimal in the currency's precision")
			}
			r.CompareAt = &ca
		}
	}
	if in.ValidFrom != nil {
		r.Dated, r.Start = true, in.ValidFrom.UTC()
	}
	if in.ValidUntil != nil {
		r.End = in.ValidUntil.UTC()
		if !r.End.After(r.Start) {
			vs.Add(path+"validUntil", "invalid_interval", "validUntil must be after validFrom (or after now for an undated price)")
		}
	}
	return r, vs.Err()
}

// Resolution is the context of a priced read (resolveContext).
type Resolution struct {
	Channel uuid.UUID
	Country string
	At      time.Time
}

// ApplyPrices sets each variant's resolved price and lowest price of the last 30 days, for all
// products of a read in two statements (the channel, then the price history of the page).
func (s *Service) ApplyPrices(ctx context.Context, instance uuid.UUID, products []Product, r Resolution) error {
	chs, err := s.store.ChannelsByID(ctx, instance, []uuid.UUID{r.Channel})
	if err != nil {
		return err
	}
	if len(chs) == 0 {
		return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "query.resolveContext[channel]", Code: "unknown_channel", Message: "no such channel in this instance"}}}
	}
	ids := make([]uuid.UUID, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	rows, err := s.store.PriceHistory(ctx, instance, ids, chs[0].Currency)
	if err != nil {
		return err
	}
	byVariant := map[uuid.UUID][]price.Row{}
	for _, row := range rows {
		byVariant[row.VariantID] = append(byVariant[row.VariantID], row)
	}
	pc := price.Context{Channel: r.Channel, Currency: chs[0].Currency, Country: r.Country, At: r.At}
	for i := range products {
		for j := range products[i].Variants {
			v := &products[i].Variants[j]
			v.Priced = true
			history := byVariant[v.ID]
			if w, ok := price.Resolve(history, pc); ok {
				v.Resolved = &w
			}
			if low, ok := price.LowestBefore(history, pc); ok {
				v.Lowest = &low
			}
		}
	}
	return nil
}

// CreatePrice sets a price of a variant.
func (s *Service) CreatePrice(ctx context.Context, instance uuid.UUID, in PriceInput) (price.Row, error) {
	if _, err := s.store.VariantProduct(ctx, instance, in.Variant); err != nil {
		if fault.Is(err, fault.KindNotFound) {
			return price.Row{}, fault.Invalid("variant", "unknown_variant", "no such variant in this instance")
		}
		return price.Row{}, err
	}
	channels, err := s.channelMap(ctx, instance)
	if err != nil {
		return price.Row{}, err
	}
	row, err := BuildPrice("", in, channels, time.Now().UTC())
	if err != nil {
		return price.Row{}, err
	}
	return row, s.store.CreatePrices(ctx, instance, []price.Row{row})
}

// ChangePrice applies a patch as a new revision starting now (or at the price's start, if it is
// still scheduled); the previous revision ends there.
func (s *Service) ChangePrice(ctx context.Context, instance, id uuid.UUID, c PriceChange) (price.Row, error) {
	return s.store.ChangePrice(ctx, instance, id, func(cur price.Row, now time.Time) (price.Row, error) {
		var vs fault.Violations
		cu, _ := iso.CurrencyByCode(cur.Currency)
		next := cur
		next.Revision++
		next.Start = now
		if cur.Start.After(now) {
			next.Start = cur.Start
		}
		if c.Amount != nil {
			a, err := price.ParseAmount(*c.Amount, cu.MinorUnits)
			if err != nil {
				vs.Add("amount", "invalid_amount", "a non-negative decimal in the currency's precision, such as 19.99")
			}
			next.Amount = a
		}
		switch {
		case c.ClearCompareAt:
			next.CompareAt = nil
		case c.CompareAt != nil:
			a, err := price.ParseAmount(*c.CompareAt, cu.MinorUnits)
			if err != nil {
				vs.Add("compareAtAmount", "invalid_amount", "a non-negative decimal in the currency's precision")
			}
			next.CompareAt = &a
		}
		switch {
		case c.ClearUntil:
			next.End = time.Time{}
		case c.ValidUntil != nil:
			next.End = c.ValidUntil.UTC()
			if !next.End.After(next.Start) {
				vs.Add("validUntil", "invalid_interval", "validUntil must be later than the moment the change applies")
			}
		}
		return next, vs.Err()
	})
}

// EndPrice stops a price now; its history stays.
func (s *Service) EndPrice(ctx context.Context, instance, id uuid.UUID) error {
	return s.store.EndPrice(ctx, instance, id)
}
