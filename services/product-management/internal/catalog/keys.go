package catalog

import (
	"context"
	"regexp"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Keys are the partner's own identifiers of products, categories, collections and attributes:
// unique per instance and kind, so a PIM's line names what it changes without our ids.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,256}$`)

// ValidKey reports whether k can be a key.
func ValidKey(k string) bool { return keyPattern.MatchString(k) }

// KeyRef names a resource of a kind by its key (a channel by its code).
type KeyRef struct {
	Kind Kind
	Key  string
}

// KeyStore finds resources by key.
type KeyStore interface {
	// IDsOfKeys returns the id of each ref that names a resource of instance (absent refs name
	// nothing).
	IDsOfKeys(ctx context.Context, instance uuid.UUID, refs []KeyRef) (map[KeyRef]uuid.UUID, error)
}

// IDsOfKeys finds the resources refs name, in one lookup; a ref naming nothing (or no valid key)
// is absent from the answer.
func (s *Service) IDsOfKeys(ctx context.Context, instance uuid.UUID, refs []KeyRef) (map[KeyRef]uuid.UUID, error) {
	valid := make([]KeyRef, 0, len(refs))
	for _, r := range refs {
		if ValidKey(r.Key) {
			valid = append(valid, r)
		}
	}
	if len(valid) == 0 {
		return map[KeyRef]uuid.UUID{}, nil
	}
	return s.keys.IDsOfKeys(ctx, instance, valid)
}

// IDOfKey is the id of the resource of kind with key: not found when none has it.
func (s *Service) IDOfKey(ctx context.Context, instance uuid.UUID, kind Kind, key string) (uuid.UUID, error) {
	ref := KeyRef{Kind: kind, Key: key}
	ids, err := s.IDsOfKeys(ctx, instance, []KeyRef{ref})
	if err != nil {
		return uuid.Nil, err
	}
	id, ok := ids[ref]
	if !ok {
		return uuid.Nil, fault.NotFound("no %s with key %q", kind, key)
	}
	return id, nil
}

// keyOf validates an optional key given at path ("key").
func keyOf(path string, k *string, vs *fault.Violations) *string {
	if k == nil {
		return nil
	}
	if !ValidKey(*k) {
		vs.Add(path, "invalid_key", "a key has 1 to 256 of A-Z a-z 0-9 _ - . :")
	}
	return k
}

// keyPatch validates a merge patch of a key: null removes it.
func keyPatch(path string, f mergepatch.Field[string], vs *fault.Violations) mergepatch.Field[string] {
	if k, ok := f.Get(); ok {
		keyOf(path, &k, vs)
	}
	return f
}

// KeyTaken is the conflict of a key another resource of kind has, naming the field and the key
// as every conflict on a unique field does.
func KeyTaken(kind Kind, key string) error {
	return fault.Conflict("key: another %s of this instance has the key %q", kind, key)
}
