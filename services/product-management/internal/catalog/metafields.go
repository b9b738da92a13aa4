package catalog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Metafield is a typed value on a product or a variant.
type Metafield struct {
	ID         uuid.UUID
	ProductID  uuid.UUID
	VariantID  *uuid.UUID
	Namespace  string
	Key        string
	Type       string
	Value      string
	References []uuid.UUID // metaobjects referenced, in order
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OwnerKind says what a metafield belongs to.
type OwnerKind int

const (
	OwnerUnknown OwnerKind = iota // what the HTTP layer passes for an unreadable owner
	OwnerProduct
	OwnerVariant
)

// Owner is the product or variant a new metafield belongs to.
type Owner struct {
	Kind OwnerKind
	ID   uuid.UUID
}

// MetafieldInput is a new metafield.
type MetafieldInput struct {
	Owner                       Owner
	Namespace, Key, Type, Value string
}

// MetafieldStore persists metafields.
type MetafieldStore interface {
	Metafields(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Metafield, int, error)
	MetafieldsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]Metafield, error)
	SaveMetafield(ctx context.Context, instance uuid.UUID, m Metafield, create bool) error
	DeleteMetafield(ctx context.Context, instance, id uuid.UUID) error
}

// buildMetafield validates a new metafield: owner, names, typed value, references.
func (s *Service) buildMetafield(ctx context.Context, instance uuid.UUID, in MetafieldInput) (Metafield, error) {
	var vs fault.Violations
	namespace, key, typ, value := in.Namespace, in.Key, in.Type, in.Value
	m := Metafield{ID: newID(), Namespace: namespace, Key: key, Type: typ, Value: value}
	id := in.Owner.ID
	switch in.Owner.Kind {
	case OwnerProduct:
		if ps, err := s.reads.Products(ctx, instance, []uuid.UUID{id}, ReadLocale{}); id == uuid.Nil || err != nil || len(ps) == 0 {
			if err != nil {
				return m, err
			}
			vs.Add("owner", "unknown_owner", "no such product in this instance")
		}
		m.ProductID = id
	case OwnerVariant:
		pid, err := s.variants.VariantProduct(ctx, instance, id)
		if id == uuid.Nil || err != nil {
			if err != nil && !fault.Is(err, fault.KindNotFound) {
				return m, err
			}
			vs.Add("owner", "unknown_owner", "no such variant in this instance")
		}
		m.ProductID, m.VariantID = pid, &id
	default:
		vs.Add("owner", "unknown_owner", "a product or variant IRI")
	}
	if !metaName.MatchString(namespace) {
		vs.Add("namespace", "invalid_name", "letters, digits and _ (1 to 64)")
	}
	if !metaName.MatchString(key) {
		vs.Add("key", "invalid_name", "letters, digits and _ (1 to 64)")
	}
	if !metafieldTypes[typ] {
		vs.Add("type", "invalid_choice", "unknown type")
	} else if refs, bad := s.checkTyped("value", typ, value); bad != nil {
		vs = append(vs, *bad)
	} else if err := s.checkReferences(ctx, instance, "value", refs); err != nil {
		if !vs.Take(err) {
			return m, err
		}
	} else {
		m.References = refs
	}
	return m, vs.Err()
}

// changeValue validates a new value for an existing metafield.
func (s *Service) changeValue(ctx context.Context, instance uuid.UUID, m Metafield, value string) (Metafield, error) {
	refs, bad := s.checkTyped("value", m.Type, value)
	if bad != nil {
		return m, fault.Unprocessable(*bad)
	}
	if err := s.checkReferences(ctx, instance, "value", refs); err != nil {
		return m, err
	}
	m.Value, m.References = value, refs
	return m, nil
}

// Metafields lists a page of metafields.
func (s *Service) Metafields(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Metafield, int, error) {
	return s.metafields.Metafields(ctx, instance, page, perPage)
}

// Metafield reads one metafield.
func (s *Service) Metafield(ctx context.Context, instance, id uuid.UUID) (Metafield, error) {
	list, err := s.metafields.MetafieldsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such metafield")
}

// CreateMetafield validates and stores a metafield.
func (s *Service) CreateMetafield(ctx context.Context, instance uuid.UUID, in MetafieldInput) (Metafield, error) {
	m, err := s.buildMetafield(ctx, instance, in)
	if err != nil {
		return Metafield{}, err
	}
	return save(ctx, s, instance, KindMetafield, Created, m.ID, Touch{Metafields: []uuid.UUID{m.ID}},
		func(ctx context.Context) error { return s.metafields.SaveMetafield(ctx, instance, m, true) },
		func(ctx context.Context) (Metafield, error) { return s.Metafield(ctx, instance, m.ID) })
}

// UpdateMetafield changes a metafield's value (nil: unchanged), checked against its type.
func (s *Service) UpdateMetafield(ctx context.Context, instance, id uuid.UUID, value *string) (Metafield, error) {
	m, err := s.Metafield(ctx, instance, id)
	if err != nil || value == nil {
		return m, err
	}
	if m, err = s.changeValue(ctx, instance, m, *value); err != nil {
		return Metafield{}, err
	}
	return save(ctx, s, instance, KindMetafield, Updated, id, Touch{Metafields: []uuid.UUID{id}},
		func(ctx context.Context) error { return s.metafields.SaveMetafield(ctx, instance, m, false) },
		func(ctx context.Context) (Metafield, error) { return s.Metafield(ctx, instance, id) })
}

// DeleteMetafield removes a metafield.
func (s *Service) DeleteMetafield(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindMetafield, id.String(), Touch{Metafields: []uuid.UUID{id}}, func(ctx context.Context) error { return s.metafields.DeleteMetafield(ctx, instance, id) })
}
