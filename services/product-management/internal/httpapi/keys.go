package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

// keyedKinds are the collections whose members partners name by key (channels by code), with
// their catalog kind.
var keyedKinds = map[iri.Collection]catalog.Kind{
	iri.Products: catalog.KindProduct, iri.Categories: catalog.KindCategory,
	iri.Collections: catalog.KindCollection, iri.Attributes: catalog.KindAttribute, iri.Channels: catalog.KindChannel,
}

// refReader reads the references of a request body: IRIs by id, and IRIs by key once looked up.
// A body is built with it twice when it names anything by key (resolving): the first pass
// gathers the keys, one lookup finds them all, the second pass reads them.
type refReader struct {
	gathered []catalog.KeyRef
	ids      map[catalog.KeyRef]uuid.UUID // nil in the gathering pass
}

// of reads references into collection c: uuid.Nil (which the catalog reports as unknown at the
// reference's path) for what names nothing.
func (r *refReader) of(c iri.Collection) func(string) uuid.UUID {
	return func(s string) uuid.UUID {
		if id, ok := c.Parse(s); ok {
			return id
		}
		kind, keyed := keyedKinds[c]
		key, ok := c.Key(s)
		if !keyed || !ok {
			return uuid.Nil
		}
		ref := catalog.KeyRef{Kind: kind, Key: key}
		if r.ids == nil {
			r.gathered = append(r.gathered, ref)
		}
		return r.ids[ref]
	}
}

// resolving builds a request's input with build; when it read references by key, they are
// looked up in one statement and the input is built again with their ids. build must be pure.
func resolving[T any](ctx context.Context, s *Server, instance uuid.UUID, build func(r *refReader) T) (T, error) {
	r := &refReader{}
	in := build(r)
	if len(r.gathered) == 0 {
		return in, nil
	}
	ids, err := s.Catalog.IDsOfKeys(ctx, instance, r.gathered)
	if err != nil {
		return in, err
	}
	r.ids = ids
	return build(r), nil
}
