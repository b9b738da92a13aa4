package catalog

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Media is a file by URL; only images attach to products.
type Media struct {
	ID        uuid.UUID
	Type      string
	Src       string
	Alt       *string // in the read locale
	MimeType  *string
	Width     *int
	Height    *int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MediaChange creates or patches a media.
type MediaChange struct {
	Type, Src     *string
	Alt, MimeType mergepatch.Field[string]
	Width, Height mergepatch.Field[int]
}

// MediaStore persists medias.
type MediaStore interface {
	Medias(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Media, int, error)
	MediasByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Media, error)
	SaveMedia(ctx context.Context, instance uuid.UUID, m Media, locale string, setAlt, create bool) error
	DeleteMedia(ctx context.Context, instance, id uuid.UUID) error
}

var mediaTypes = map[string]bool{"image": true, "video": true, "external_video": true, "model_3d": true}

// ApplyMedia validates a change to m (a new media when m.ID is nil); prefix goes before paths
// ("medias[2]." for a product's inline medias).
func ApplyMedia(prefix string, m Media, ch MediaChange) (Media, error) {
	var vs fault.Violations
	if m.ID == uuid.Nil {
		m.ID = newID()
	}
	if ch.Type != nil {
		m.Type = *ch.Type
	}
	if !mediaTypes[m.Type] {
		vs.Add(prefix+"type", "invalid_choice", "image, video, external_video or model_3d")
	}
	if ch.Src != nil {
		m.Src = strings.TrimSpace(*ch.Src)
	}
	if u, err := url.Parse(m.Src); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		vs.Add(prefix+"src", "invalid_url", "an absolute http or https URL")
	}
	m.Alt = Text(ch.Alt.Apply(m.Alt))
	if mt, ok := ch.MimeType.Get(); ok {
		mt = strings.ToLower(strings.TrimSpace(mt))
		m.MimeType = &mt
	} else if ch.MimeType.IsNull() {
		m.MimeType = nil
	}
	if m.Type == "image" && m.MimeType != nil && !strings.HasPrefix(*m.MimeType, "image/") {
		vs.Add(prefix+"mimeType", "invalid_mime_type", "an image's type is image/*")
	}
	m.Width, m.Height = ch.Width.Apply(m.Width), ch.Height.Apply(m.Height)
	return m, vs.Err()
}

// productMedias validates a product's inline medias: images only, each a 422 at medias[N].
func productMedias(in []MediaChange) ([]Media, error) {
	var vs fault.Violations
	out := make([]Media, 0, len(in))
	for i, ch := range in {
		prefix := fmt.Sprintf("medias[%d]", i)
		if ch.Type == nil || *ch.Type != "image" {
			vs.Add(prefix, "not_an_image", "only image medias can be attached to a product")
			continue
		}
		m, err := ApplyMedia(prefix+".", Media{}, ch)
		if vs.Take(err) {
			continue
		}
		out = append(out, m)
	}
	return out, vs.Err()
}

// MediaRef names one of a product's medias for a variant: by id (Media set; uuid.Nil for an
// unreadable reference), or by src (how a variant names a media created in the same request).
type MediaRef struct {
	Media *uuid.UUID
	Src   string
}

// variantMedias resolves a variant's media references against its product's medias; path is the
// list's path ("variants[3].medias"). Duplicates are dropped, the first position kept.
func variantMedias(path string, refs []MediaRef, product []Media) ([]uuid.UUID, error) {
	var vs fault.Violations
	ids := make([]uuid.UUID, 0, len(refs))
	seen := map[uuid.UUID]bool{}
	for i, ref := range refs {
		rp := fmt.Sprintf("%s[%d]", path, i)
		src := strings.TrimSpace(ref.Src)
		if (ref.Media == nil) == (src == "") {
			vs.Add(rp, "one_of", "name the media by exactly one of media (its IRI) or src")
			continue
		}
		found := uuid.Nil
		for _, m := range product {
			if ref.Media != nil && m.ID == *ref.Media && m.ID != uuid.Nil || src != "" && m.Src == src {
				found = m.ID
				break
			}
		}
		if found == uuid.Nil {
			if ref.Media != nil {
				vs.Add(rp+".media", "not_a_product_media", "not one of the product's medias; attach it to the product first")
			} else {
				vs.Add(rp+".src", "not_a_product_media", "no media of the product has this src")
			}
			continue
		}
		if !seen[found] {
			seen[found] = true
			ids = append(ids, found)
		}
	}
	return ids, vs.Err()
}

// productMediaIDs checks a product's new image list: each an image of the instance.
func (s *Service) productMediaIDs(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	var vs fault.Violations
	for i, id := range ids {
		if id == uuid.Nil {
			vs.Add(fmt.Sprintf("medias[%d].media", i), "unknown_media", "no such media in this instance")
		}
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	found, err := s.medias.MediasByID(ctx, instance, ids, ReadLocale{})
	if err != nil {
		return nil, err
	}
	byID := index(found, func(m Media) uuid.UUID { return m.ID })
	out := make([]uuid.UUID, 0, len(ids))
	seen := map[uuid.UUID]bool{}
	for i, id := range ids {
		m, ok := byID[id]
		switch {
		case !ok:
			vs.Add(fmt.Sprintf("medias[%d].media", i), "unknown_media", "no such media in this instance")
		case m.Type != "image":
			vs.Add(fmt.Sprintf("medias[%d]", i), "not_an_image", "only image medias can be attached to a product")
		case !seen[id]:
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, vs.Err()
}

// Medias lists a page of medias.
func (s *Service) Medias(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Media, int, error) {
	return s.medias.Medias(ctx, instance, loc, page, perPage)
}

// Media reads one media.
func (s *Service) Media(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Media, error) {
	list, err := s.medias.MediasByID(ctx, instance, []uuid.UUID{id}, loc)
	return first(list, err, "no such media")
}

// CreateMedia validates and stores a media (its alt text in locale).
func (s *Service) CreateMedia(ctx context.Context, instance uuid.UUID, locale string, ch MediaChange) (Media, error) {
	m, err := ApplyMedia("", Media{}, ch)
	if err != nil {
		return Media{}, err
	}
	return save(ctx, s, instance, KindMedia, Created, m.ID, Touch{},
		func(ctx context.Context) error {
			return s.medias.SaveMedia(ctx, instance, m, locale, m.Alt != nil, true)
		},
		func(ctx context.Context) (Media, error) {
			return s.Media(ctx, instance, m.ID, ReadLocale{Code: locale})
		})
}

// UpdateMedia applies a patch to a media.
func (s *Service) UpdateMedia(ctx context.Context, instance, id uuid.UUID, locale string, ch MediaChange) (Media, error) {
	cur, err := s.Media(ctx, instance, id, ReadLocale{Code: locale})
	if err != nil {
		return Media{}, err
	}
	m, err := ApplyMedia("", cur, ch)
	if err != nil {
		return Media{}, err
	}
	return save(ctx, s, instance, KindMedia, Updated, id, Touch{},
		func(ctx context.Context) error {
			return s.medias.SaveMedia(ctx, instance, m, locale, ch.Alt.Present(), false)
		},
		func(ctx context.Context) (Media, error) { return s.Media(ctx, instance, id, ReadLocale{Code: locale}) })
}

// DeleteMedia removes a media; products and variants lose it.
func (s *Service) DeleteMedia(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindMedia, id.String(), Touch{Medias: []uuid.UUID{id}}, func(ctx context.Context) error { return s.medias.DeleteMedia(ctx, instance, id) })
}
