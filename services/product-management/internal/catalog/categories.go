package catalog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Category groups products and decides their attribute set.
type Category struct {
	ID         uuid.UUID
	Key        *string // the partner's
	Name       *string // in the read locale
	Handle     string
	Parent     *uuid.UUID
	Attributes []uuid.UUID // own set, in order
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CategoryChange creates or patches a category.
type CategoryChange struct {
	Handle     *string
	Key        mergepatch.Field[string]
	Name       mergepatch.Field[string]
	Parent     mergepatch.Field[uuid.UUID]
	Attributes *[]uuid.UUID // the category's own set, in order
}

// CategoryStore persists categories.
type CategoryStore interface {
	Categories(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Category, int, error)
	CategoriesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Category, error)
	SaveCategory(ctx context.Context, instance uuid.UUID, c Category, locale string, setName, create bool) error
	DeleteCategory(ctx context.Context, instance, id uuid.UUID) error
	// Ancestors returns the category and its ancestors, nearest first.
	Ancestors(ctx context.Context, instance, id uuid.UUID) ([]uuid.UUID, error)
	// AttributeSet returns the attributes of the category and its ancestors.
	AttributeSet(ctx context.Context, instance, category uuid.UUID) ([]Attribute, error)
}

// productCategory checks a product's category and returns its attribute set.
func (s *Service) productCategory(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, []Attribute, error) {
	unknown := fault.Invalid("category", "unknown_category", "no such category in this instance")
	if id == uuid.Nil {
		return uuid.Nil, nil, unknown
	}
	memo := lookupsOf(ctx)
	if set, found, seen := memo.category(id); seen {
		if !found {
			return uuid.Nil, nil, unknown
		}
		return id, set, nil
	}
	found, err := s.categories.CategoriesByID(ctx, instance, []uuid.UUID{id}, ReadLocale{})
	if err != nil {
		return uuid.Nil, nil, err
	}
	if len(found) == 0 {
		memo.setCategory(id, nil, false)
		return uuid.Nil, nil, unknown
	}
	set, err := s.categories.AttributeSet(ctx, instance, id)
	if err == nil {
		memo.setCategory(id, set, true)
	}
	return id, set, err
}

// applyCategory validates a change to c (new when c.ID is nil): a parent that is the category or
// one of its descendants would make a cycle.
func (s *Service) applyCategory(ctx context.Context, instance uuid.UUID, c Category, ch CategoryChange) (Category, error) {
	var vs fault.Violations
	if c.ID == uuid.Nil {
		c.ID = newID()
		c.Attributes = []uuid.UUID{}
		if ch.Handle == nil || !handlePattern.MatchString(*ch.Handle) || len(*ch.Handle) > 255 {
			vs.Add("handle", "invalid_handle", "lowercase letters, digits and single hyphens")
		} else {
			c.Handle = *ch.Handle
		}
	} else if ch.Handle != nil {
		c.Handle = *ch.Handle
	}
	c.Key = keyPatch("key", ch.Key, &vs).Apply(c.Key)
	c.Name = Text(ch.Name.Apply(c.Name))
	if ch.Parent.IsNull() {
		c.Parent = nil
	} else if pid, ok := ch.Parent.Get(); ok {
		chain, err := s.categories.Ancestors(ctx, instance, pid)
		if err != nil {
			return c, err
		}
		switch {
		case pid == uuid.Nil || len(chain) == 0:
			vs.Add("parent", "unknown_category", "no such category in this instance")
		case slices.Contains(chain, c.ID):
			vs.Add("parent", "cycle", "a category cannot be below itself")
		default:
			c.Parent = &pid
		}
	}
	if ch.Attributes != nil {
		ids := []uuid.UUID{}
		for i, id := range *ch.Attributes {
			if id == uuid.Nil {
				vs.Add(fmt.Sprintf("attributes[%d]", i), "unknown_attribute", "no such attribute in this instance")
				continue
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			found, err := s.attributes.AttributesByID(ctx, instance, ids, ReadLocale{})
			if err != nil {
				return c, err
			}
			if len(found) != len(ids) {
				vs.Add("attributes", "unknown_attribute", "some attributes do not exist in this instance")
			}
		}
		c.Attributes = ids
	}
	return c, vs.Err()
}

// Categories lists a page of categories.
func (s *Service) Categories(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Category, int, error) {
	return s.categories.Categories(ctx, instance, loc, page, perPage)
}

// Category reads one category.
func (s *Service) Category(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Category, error) {
	list, err := s.categories.CategoriesByID(ctx, instance, []uuid.UUID{id}, loc)
	return first(list, err, "no such category")
}

// CreateCategory validates and stores a category (its name in locale).
func (s *Service) CreateCategory(ctx context.Context, instance uuid.UUID, locale string, ch CategoryChange) (Category, error) {
	c, err := s.applyCategory(ctx, instance, Category{}, ch)
	if err != nil {
		return Category{}, err
	}
	return save(ctx, s, instance, KindCategory, Created, c.ID, Touch{},
		func(ctx context.Context) error {
			return s.categories.SaveCategory(ctx, instance, c, locale, c.Name != nil, true)
		},
		func(ctx context.Context) (Category, error) {
			return s.Category(ctx, instance, c.ID, ReadLocale{Code: locale})
		})
}

// UpdateCategory applies a patch to a category.
func (s *Service) UpdateCategory(ctx context.Context, instance, id uuid.UUID, locale string, ch CategoryChange) (Category, error) {
	cur, err := s.Category(ctx, instance, id, ReadLocale{Code: locale})
	if err != nil {
		return Category{}, err
	}
	c, err := s.applyCategory(ctx, instance, cur, ch)
	if err != nil {
		return Category{}, err
	}
	return save(ctx, s, instance, KindCategory, Updated, id, Touch{},
		func(ctx context.Context) error {
			return s.categories.SaveCategory(ctx, instance, c, locale, ch.Name.Present(), false)
		},
		func(ctx context.Context) (Category, error) {
			return s.Category(ctx, instance, id, ReadLocale{Code: locale})
		})
}

// DeleteCategory removes a category without products or children.
func (s *Service) DeleteCategory(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindCategory, id.String(), Touch{}, func(ctx context.Context) error { return s.categories.DeleteCategory(ctx, instance, id) })
}
