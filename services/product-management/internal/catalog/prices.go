package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// PriceInput sets a price.
type PriceInput struct {
	Variant    uuid.UUID
	Channel    *uuid.UUID // nil for every channel
	Country    *string    // ISO code; nil for every country
	Currency   string
	Amount     string
	CompareAt  *string
	ValidFrom  *time.Time
	ValidUntil *time.Time
}

// PriceChange is a merge patch of a price.
type PriceChange struct {
	Amount     *string
	CompareAt  mergepatch.Field[string]
	ValidUntil mergepatch.Field[time.Time]
}

// PriceStore persists prices, revision by revision.
type PriceStore interface {
	CreatePrices(ctx context.Context, instance uuid.UUID, rows []price.Row) error
	CurrentPrices(ctx context.Context, instance uuid.UUID, variant *uuid.UUID, page, perPage int) ([]price.Row, int, error)
	Price(ctx context.Context, instance, id uuid.UUID) (price.Row, error)
	// LatestPrices reads the latest revision of every price of products, ended ones too.
	LatestPrices(ctx context.Context, instance uuid.UUID, products []uuid.UUID) ([]price.Row, error)
	ChangePrice(ctx context.Context, instance, id uuid.UUID, change func(current price.Row, now time.Time) (price.Row, error)) (price.Row, error)
	EndPrice(ctx context.Context, instance, id uuid.UUID) error
}

// BuildPrice validates a price input against the instance's channels; path prefixes violations
// ("prices[0]." inside a variant). Its times are cut to the stored precision.
func BuildPrice(path string, in PriceInput, channels map[uuid.UUID]Channel, now time.Time) (price.Row, error) {
	var vs fault.Violations
	now = now.UTC().Truncate(price.Precision)
	r := price.Row{ID: newID(), Revision: 1, VariantID: in.Variant, Currency: strings.ToUpper(in.Currency), Start: now,
		CreatedAt: now, UpdatedAt: now}
	cur, ok := iso.CurrencyByCode(r.Currency)
	if !ok {
		vs.Add(path+"currency", "invalid_currency", "not an ISO 4217 currency code")
	}
	if in.Channel != nil {
		ch, exists := channels[*in.Channel]
		switch {
		case !exists:
			vs.Add(path+"channel", "unknown_channel", "no such channel in this instance")
		case ch.Currency != r.Currency:
			vs.Add(path+"currency", "currency_mismatch", "a channel's prices are in its currency, "+ch.Currency)
		default:
			id := *in.Channel
			r.ChannelID = &id
		}
	}
	if in.Country != nil {
		code, ok := CountryCode(*in.Country)
		if !ok {
			vs.Add(path+"country", "invalid_country", invalidCountry)
		}
		r.Country = code
	}
	if ok {
		amount, err := price.ParseAmount(in.Amount, cur.MinorUnits)
		if err != nil {
			vs.Add(path+"amount", "invalid_amount", fmt.Sprintf("a non-negative decimal with at most %d decimals, such as 19.99", cur.MinorUnits))
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
		r.Dated, r.Start = true, in.ValidFrom.UTC().Truncate(price.Precision)
	}
	if in.ValidUntil != nil {
		r.End = in.ValidUntil.UTC().Truncate(price.Precision)
		if !r.End.After(r.Start) {
			vs.Add(path+"validUntil", "invalid_interval", "validUntil must be after validFrom (or after now for an undated price)")
		}
	}
	return r, vs.Err()
}

// duplicatePrices adds a violation at paths[k] for each of rows, the new prices of one request,
// that duplicates an earlier one (price.Duplicate): resolution would never use one of the two.
// Duplicates of stored prices are the store's to refuse, under a lock (a conflict).
func duplicatePrices(rows []price.Row, paths []string, vs *fault.Violations) {
	type slot struct {
		variant, channel  uuid.UUID
		country, currency string
		dated             bool
	}
	seen := map[slot][]int{}
	for k, r := range rows {
		key := slot{variant: r.VariantID, country: r.Country, currency: r.Currency, dated: r.Dated}
		if r.ChannelID != nil {
			key.channel = *r.ChannelID
		}
		for _, j := range seen[key] {
			if price.Duplicate(rows[j], r) {
				vs.Add(paths[k], "duplicate_price", fmt.Sprintf("%s already sets a price for this channel, country and currency, %s too, "+
					"and their validities overlap: only the lower amount would ever apply", paths[j], datedness(r)))
				break
			}
		}
		seen[key] = append(seen[key], k)
	}
}

// datedness names whether a price was given a validFrom, which resolution ranks.
func datedness(r price.Row) string {
	if r.Dated {
		return "dated"
	}
	return "undated"
}

// Prices lists the current and scheduled prices, of one variant when variant is set.
func (s *Service) Prices(ctx context.Context, instance uuid.UUID, variant *uuid.UUID, page, perPage int) ([]price.Row, int, error) {
	return s.prices.CurrentPrices(ctx, instance, variant, page, perPage)
}

// VariantPrices lists a variant's current and scheduled prices; an unknown variant is not found.
func (s *Service) VariantPrices(ctx context.Context, instance, variant uuid.UUID, page, perPage int) ([]price.Row, int, error) {
	if _, err := s.variants.VariantProduct(ctx, instance, variant); err != nil {
		return nil, 0, err
	}
	return s.Prices(ctx, instance, &variant, page, perPage)
}

// Price reads a price's current revision.
func (s *Service) Price(ctx context.Context, instance, id uuid.UUID) (price.Row, error) {
	return s.prices.Price(ctx, instance, id)
}

// CreatePrice sets a price of a variant named in the body: an unknown one is a violation at
// "variant".
func (s *Service) CreatePrice(ctx context.Context, instance uuid.UUID, in PriceInput) (price.Row, error) {
	if _, err := s.variants.VariantProduct(ctx, instance, in.Variant); err != nil {
		if fault.Is(err, fault.KindNotFound) {
			return price.Row{}, fault.Invalid("variant", "unknown_variant", "no such variant in this instance")
		}
		return price.Row{}, err
	}
	return s.createPrice(ctx, instance, in)
}

// CreateVariantPrice sets a price of the variant in the path: an unknown one is not found.
func (s *Service) CreateVariantPrice(ctx context.Context, instance uuid.UUID, in PriceInput) (price.Row, error) {
	if _, err := s.variants.VariantProduct(ctx, instance, in.Variant); err != nil {
		return price.Row{}, err
	}
	return s.createPrice(ctx, instance, in)
}

func (s *Service) createPrice(ctx context.Context, instance uuid.UUID, in PriceInput) (price.Row, error) {
	channels, err := s.channelMap(ctx, instance)
	if err != nil {
		return price.Row{}, err
	}
	row, err := BuildPrice("", in, channels, price.Now())
	if err != nil {
		return price.Row{}, err
	}
	return save(ctx, s, instance, KindPrice, Created, row.ID, Touch{Prices: []uuid.UUID{row.ID}},
		func(ctx context.Context) error { return s.prices.CreatePrices(ctx, instance, []price.Row{row}) },
		func(ctx context.Context) (price.Row, error) { return s.prices.Price(ctx, instance, row.ID) })
}

// ChangePrice applies a patch as a new revision starting now (or at the price's start, if it is
// still scheduled); the previous revision ends there. A later validUntil that would make the price
// overlap another in its slot (price.Duplicate) is the store's to refuse (a conflict).
func (s *Service) ChangePrice(ctx context.Context, instance, id uuid.UUID, c PriceChange) (price.Row, error) {
	var out price.Row
	_, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		row, err := s.prices.ChangePrice(ctx, instance, id, func(cur price.Row, now time.Time) (price.Row, error) {
			return nextRevision(cur, c, now)
		})
		if err != nil {
			return nil, err
		}
		out = row
		return one(KindPrice, Updated, id, row), s.refresh(ctx, instance, Touch{Prices: []uuid.UUID{id}})
	})
	return out, err
}

// nextRevision is the revision a change of cur at now makes.
func nextRevision(cur price.Row, c PriceChange, now time.Time) (price.Row, error) {
	var vs fault.Violations
	cu, _ := iso.CurrencyByCode(cur.Currency)
	now = now.UTC().Truncate(price.Precision)
	next := cur
	next.Revision++
	next.Start, next.UpdatedAt = now, now
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
	if amount, ok := c.CompareAt.Get(); ok {
		a, err := price.ParseAmount(amount, cu.MinorUnits)
		if err != nil {
			vs.Add("compareAtAmount", "invalid_amount", "a non-negative decimal in the currency's precision")
		}
		next.CompareAt = &a
	} else if c.CompareAt.IsNull() {
		next.CompareAt = nil
	}
	if until, ok := c.ValidUntil.Get(); ok {
		next.End = until.UTC().Truncate(price.Precision)
		if !next.End.After(next.Start) {
			vs.Add("validUntil", "invalid_interval", "validUntil must be later than the moment the change applies")
		}
	} else if c.ValidUntil.IsNull() {
		next.End = time.Time{}
	}
	return next, vs.Err()
}

// EndPrice stops a price now; its history stays.
func (s *Service) EndPrice(ctx context.Context, instance, id uuid.UUID) error {
	_, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		if err := s.prices.EndPrice(ctx, instance, id); err != nil {
			return nil, err
		}
		if err := s.refresh(ctx, instance, Touch{Prices: []uuid.UUID{id}}); err != nil {
			return nil, err
		}
		row, err := s.prices.Price(ctx, instance, id)
		return one(KindPrice, Updated, id, row), err
	})
	return err
}
