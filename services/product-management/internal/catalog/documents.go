package catalog

import (
	"context"

	"github.com/google/uuid"
)

// The read model: every product's document (product_documents), rewritten in the transaction of
// every change that alters what a read of it shows. A change names what it touches (Touch); the
// change path rewrites those products' documents (refresh) and remembers them, so that the events
// the rewrite implies are recorded too (implied.go). The store's side is postgres/documents.go;
// the caches built on the documents are mapped in ../README.md.

// Touch names what a change touches that product documents (the read model) show: the products
// themselves, or the products of the variants, options, values, prices and metafields named, or
// those that show the medias or are in the collections named.
type Touch struct {
	Products, Variants, Options, Values, Prices, Metafields, Medias, Collections []uuid.UUID
	// MoveVersions asks the rewrite to move the touched products' and variants' versions on:
	// writes to products, variants, options and values do it themselves; prices, metafields and
	// removed medias or collections do not.
	MoveVersions bool
}

// MovesVersions reports whether t's writes leave the versions to the rewrite.
func (t Touch) MovesVersions() bool {
	return t.MoveVersions || len(t.Prices)+len(t.Metafields)+len(t.Medias)+len(t.Collections) > 0
}

func (t Touch) empty() bool { return len(t.Products) == 0 && t.othersEmpty() }

// OnlyProduct reports the product t names when it touches that one product and nothing else
// (a product's create or update, the common change).
func (t Touch) OnlyProduct() (uuid.UUID, bool) {
	if len(t.Products) != 1 || !t.othersEmpty() {
		return uuid.Nil, false
	}
	return t.Products[0], true
}

func (t Touch) othersEmpty() bool {
	return len(t.Variants)+len(t.Options)+len(t.Values)+len(t.Prices)+len(t.Metafields)+len(t.Medias)+len(t.Collections) == 0
}

// DocumentStore keeps the read model: each product's document, rewritten in the transaction of
// every change that alters what a read of it shows.
type DocumentStore interface {
	// RefreshDocuments rewrites the documents of the products t touches and reports them.
	RefreshDocuments(ctx context.Context, instance uuid.UUID, t Touch) ([]uuid.UUID, error)
	// WriteNewDocuments writes the documents of products just created (CreateProducts) and
	// returns the products as a read of them in locale would.
	WriteNewDocuments(ctx context.Context, instance uuid.UUID, locale string, ps []NewProduct) ([]Product, error)
	// WrittenWith lists the rows of products' graphs (the products, their variants, options,
	// values and prices) the transaction of ctx wrote.
	WrittenWith(ctx context.Context, instance uuid.UUID, products []uuid.UUID) ([]Written, error)
	// ResolveTouch resolves t to the products and variants it leads to (before a delete takes the
	// rows that lead to them).
	ResolveTouch(ctx context.Context, instance uuid.UUID, t Touch) (Touch, error)
}

// rewrites collects the products whose documents a change rewrote.
type rewrites struct{ products []uuid.UUID }

type rewritesKey struct{}

func withRewrites(ctx context.Context) (context.Context, *rewrites) {
	r := &rewrites{}
	return context.WithValue(ctx, rewritesKey{}, r), r
}

// refresh rewrites the documents of the products t touches, noting them for the change's events.
func (s *Service) refresh(ctx context.Context, instance uuid.UUID, t Touch) error {
	ids, err := s.docs.RefreshDocuments(ctx, instance, t)
	if r, ok := ctx.Value(rewritesKey{}).(*rewrites); ok {
		r.products = append(r.products, ids...)
	}
	return err
}
