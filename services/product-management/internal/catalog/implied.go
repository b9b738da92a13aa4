package catalog

import (
	"context"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// A write to one resource often changes others: adding an option gives every variant a value,
// a price moves its variant's and product's updatedAt, deleting a media takes it off variants.
// A partner mirrors the catalog from the feed, so each resource so changed gets its own event in
// the change's transaction. The change path finds them without each write listing them: every
// write that changes what a product shows rewrites its document (refresh), and the rows of those
// products' graphs this transaction wrote (their xmin) are what changed.
//
// A product created by the change is recorded whole: its product.created embeds its options,
// values and variants, and each variant its prices (CreatedProduct), so a create costs one event
// (an import of 100,000 products would otherwise record 2.6 million). Rows deleted with their parent (a product's variants and prices, an
// option's values, a variant's prices and metafields) get no event of their own: the parent's
// .deleted says they are gone (the spec's feed description).

// Written is a row of a product's graph the transaction of ctx wrote.
type Written struct {
	Kind    Kind // product, variant, option, optionValue or price
	ID      uuid.UUID
	Product uuid.UUID
	Option  uuid.UUID // an option value's option
	Created bool      // created by this transaction (the store knows it of variants)
}

// CreatedProduct is a product created by a change as its product.created shows it: its view and
// the prices created with its variants.
type CreatedProduct struct {
	View   View
	Prices []price.Row
}

// complete adds to the changes a write reports those it made besides (implied) and gives created
// products their prices.
func (s *Service) complete(ctx context.Context, instance uuid.UUID, rewritten []uuid.UUID, changes []Change) ([]Change, error) {
	if err := s.withPrices(ctx, instance, changes); err != nil {
		return nil, err
	}
	more, err := s.implied(ctx, instance, rewritten, changes)
	return append(changes, more...), err
}

// withPrices makes the changes of created products CreatedProducts, their prices read at once.
func (s *Service) withPrices(ctx context.Context, instance uuid.UUID, changes []Change) error {
	var ids []uuid.UUID
	for _, c := range changes {
		if _, ok := c.Resource.(View); ok && c.Kind == KindProduct && c.Op == Created {
			ids = append(ids, uuid.MustParse(c.ID))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.prices.LatestPrices(ctx, instance, ids)
	if err != nil {
		return err
	}
	byVariant := map[uuid.UUID][]price.Row{}
	for _, r := range rows {
		byVariant[r.VariantID] = append(byVariant[r.VariantID], r)
	}
	for i, c := range changes {
		v, ok := c.Resource.(View)
		if !ok || c.Kind != KindProduct || c.Op != Created {
			continue
		}
		cp := CreatedProduct{View: v}
		for _, vr := range v.Products[0].Variants {
			cp.Prices = append(cp.Prices, byVariant[vr.ID]...)
		}
		changes[i].Resource = cp
	}
	return nil
}

// implied lists the changes a write made besides those it reports (changes).
func (s *Service) implied(ctx context.Context, instance uuid.UUID, rewritten []uuid.UUID, changes []Change) ([]Change, error) {
	if len(rewritten) == 0 {
		return nil, nil
	}
	reported := map[string]bool{}
	created := map[uuid.UUID]bool{} // resources the change created: their rows' rows are new too
	whole := map[uuid.UUID]bool{}   // products created (their events hold their graphs)
	for _, c := range changes {
		reported[string(c.Kind)+":"+c.ID] = true
		if c.Op == Created {
			if id, err := uuid.Parse(c.ID); err == nil {
				created[id] = true
				if c.Kind == KindProduct {
					whole[id] = true
				}
			}
		}
	}
	seen := map[uuid.UUID]bool{}
	var products []uuid.UUID
	for _, id := range rewritten {
		if !seen[id] && !whole[id] {
			seen[id] = true
			products = append(products, id)
		}
	}
	if len(products) == 0 {
		return nil, nil
	}
	written, err := s.docs.WrittenWith(ctx, instance, products)
	if err != nil {
		return nil, err
	}
	// A row is created when the change created it or its parent: options and variants first,
	// then values.
	for _, kind := range []Kind{KindOption, KindOptionValue} {
		for i, w := range written {
			if w.Kind == kind && created[w.Product] || w.Kind == KindOptionValue && created[w.Option] {
				written[i].Created = true
			}
			if written[i].Created {
				created[w.ID] = true
			}
		}
	}
	var todo []Written
	for _, w := range written {
		if !reported[string(w.Kind)+":"+w.ID.String()] {
			todo = append(todo, w)
		}
	}
	// An option whose values changed lists them otherwise.
	for _, w := range written {
		if w.Kind == KindOptionValue && !reported["option:"+w.Option.String()] && !created[w.Option] {
			reported["option:"+w.Option.String()] = true
			todo = append(todo, Written{Kind: KindOption, ID: w.Option, Product: w.Product})
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	loc, err := s.ReadLocale(ctx, instance, nil, false)
	if err != nil {
		return nil, err
	}
	need := map[uuid.UUID]bool{}
	var ids []uuid.UUID
	for _, w := range todo {
		if !need[w.Product] {
			need[w.Product] = true
			ids = append(ids, w.Product)
		}
	}
	ps, err := s.reads.Products(ctx, instance, ids, loc)
	if err != nil {
		return nil, err
	}
	v, err := s.view(ctx, instance, ps, Read{Locale: loc}, nil)
	if err != nil {
		return nil, err
	}
	byID := index(ps, func(p Product) uuid.UUID { return p.ID })
	var latest map[uuid.UUID]price.Row
	var out []Change
	for _, w := range todo {
		p, ok := byID[w.Product]
		if !ok {
			continue
		}
		if w.Kind == KindPrice {
			// Read whole (a document's price history leaves out the prices' timestamps), once.
			if latest == nil {
				rows, err := s.prices.LatestPrices(ctx, instance, ids)
				if err != nil {
					return nil, err
				}
				latest = index(rows, func(r price.Row) uuid.UUID { return r.ID })
			}
			row, ok := latest[w.ID]
			if !ok {
				continue
			}
			op := Updated
			if created[row.VariantID] {
				op = Created
			}
			out = append(out, Change{Kind: KindPrice, Op: op, ID: row.ID.String(), Resource: row})
			continue
		}
		single := v
		single.Products = []Product{p}
		if c, ok := impliedChange(w, p, single); ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// impliedChange is w's change as read in product p (of view v); false when p no longer shows it.
func impliedChange(w Written, p Product, v View) (Change, bool) {
	op := Updated
	if w.Created {
		op = Created
	}
	switch w.Kind {
	case KindProduct:
		return Change{Kind: KindProduct, Op: Updated, ID: p.ID.String(), Resource: v}, true
	case KindVariant:
		for _, vr := range p.Variants {
			if vr.ID == w.ID {
				return Change{Kind: KindVariant, Op: op, ID: vr.ID.String(), Resource: VariantOf{View: v, Variant: vr}}, true
			}
		}
	case KindOption:
		for _, o := range p.Options {
			if o.ID == w.ID {
				return Change{Kind: KindOption, Op: op, ID: o.ID.String(), Resource: o}, true
			}
		}
	case KindOptionValue:
		if val, ok := OptionValues(p)[w.ID]; ok {
			return Change{Kind: KindOptionValue, Op: op, ID: val.ID.String(), Resource: val}, true
		}
	}
	return Change{}, false
}
