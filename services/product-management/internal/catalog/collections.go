package catalog

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Collection is a curated group of products.
type Collection struct {
	ID          uuid.UUID
	Key         *string // the partner's
	Title       *string // in the read locale
	Handle      string
	Description *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CollectionChange creates or patches a collection.
type CollectionChange struct {
	Handle             *string
	Key                mergepatch.Field[string]
	Title, Description mergepatch.Field[string]
}

// CollectionStore persists collections.
type CollectionStore interface {
	Collections(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Collection, int, error)
	CollectionsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Collection, error)
	SaveCollection(ctx context.Context, instance uuid.UUID, c Collection, locale string, setTitle bool, create bool) error
	DeleteCollection(ctx context.Context, instance, id uuid.UUID) error
}

var handlePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ApplyCollection validates a change to c (a new collection when c.ID is nil).
func ApplyCollection(c Collection, ch CollectionChange) (Collection, error) {
	var vs fault.Violations
	if c.ID == uuid.Nil {
		c.ID = newID()
	}
	if ch.Handle != nil {
		c.Handle = *ch.Handle
	}
	if !handlePattern.MatchString(c.Handle) || len(c.Handle) > 255 {
		vs.Add("handle", "invalid_handle", "lowercase letters, digits and single hyphens")
	}
	c.Key = keyPatch("key", ch.Key, &vs).Apply(c.Key)
	c.Title = Text(ch.Title.Apply(c.Title))
	c.Description = Text(ch.Description.Apply(c.Description))
	return c, vs.Err()
}

// Collections lists a page of collections.
func (s *Service) Collections(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Collection, int, error) {
	return s.collections.Collections(ctx, instance, loc, page, perPage)
}

// Collection reads one collection.
func (s *Service) Collection(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Collection, error) {
	list, err := s.collections.CollectionsByID(ctx, instance, []uuid.UUID{id}, loc)
	return first(list, err, "no such collection")
}

// CreateCollection validates and stores a collection (its texts in locale).
func (s *Service) CreateCollection(ctx context.Context, instance uuid.UUID, locale string, ch CollectionChange) (Collection, error) {
	c, err := ApplyCollection(Collection{}, ch)
	if err != nil {
		return Collection{}, err
	}
	return save(ctx, s, instance, KindCollection, Created, c.ID, Touch{},
		func(ctx context.Context) error {
			return s.collections.SaveCollection(ctx, instance, c, locale, c.Title != nil, true)
		},
		func(ctx context.Context) (Collection, error) {
			return s.Collection(ctx, instance, c.ID, ReadLocale{Code: locale})
		})
}

// UpdateCollection applies a patch to a collection.
func (s *Service) UpdateCollection(ctx context.Context, instance, id uuid.UUID, locale string, ch CollectionChange) (Collection, error) {
	cur, err := s.Collection(ctx, instance, id, ReadLocale{Code: locale})
	if err != nil {
		return Collection{}, err
	}
	c, err := ApplyCollection(cur, ch)
	if err != nil {
		return Collection{}, err
	}
	return save(ctx, s, instance, KindCollection, Updated, id, Touch{},
		func(ctx context.Context) error {
			return s.collections.SaveCollection(ctx, instance, c, locale, ch.Title.Present(), false)
		},
		func(ctx context.Context) (Collection, error) {
			return s.Collection(ctx, instance, id, ReadLocale{Code: locale})
		})
}

// DeleteCollection removes a collection; its products leave it.
func (s *Service) DeleteCollection(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindCollection, id.String(), Touch{Collections: []uuid.UUID{id}}, func(ctx context.Context) error { return s.collections.DeleteCollection(ctx, instance, id) })
}

// collectionIDs checks collections against the instance's, in order, repeats dropped.
func (s *Service) collectionIDs(ctx context.Context, instance uuid.UUID, in []uuid.UUID) ([]uuid.UUID, error) {
	var vs fault.Violations
	var ids []uuid.UUID
	seen := map[uuid.UUID]bool{}
	for _, id := range in {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	known := map[uuid.UUID]bool{}
	memo := lookupsOf(ctx)
	var ask []uuid.UUID
	for _, id := range ids {
		if found, seen := memo.collection(id); seen {
			known[id] = found
		} else {
			ask = append(ask, id)
		}
	}
	if len(ask) > 0 {
		found, err := s.collections.CollectionsByID(ctx, instance, ask, ReadLocale{})
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			known[c.ID] = true
		}
		memo.setCollections(ask, known)
	}
	for i, id := range in {
		if !known[id] {
			vs.Add(fmt.Sprintf("collections[%d].collection", i), "unknown_collection", "no such collection in this instance")
		}
	}
	return ids, vs.Err()
}
