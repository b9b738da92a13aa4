package catalog

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
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

// MediaChange creates or patches a media (nil: unchanged; Clear*: remove).
type MediaChange struct {
	Type, Src, Alt, MimeType *string
	Width, Height            *int
	ClearAlt, ClearMime      bool
	ClearWidth, ClearHeight  bool
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
	switch {
	case ch.ClearAlt:
		m.Alt = nil
	case ch.Alt != nil:
		m.Alt = text(ch.Alt)
	}
	switch {
	case ch.ClearMime:
		m.MimeType = nil
	case ch.MimeType != nil:
		mt := strings.ToLower(strings.TrimSpace(*ch.MimeType))
		m.MimeType = &mt
	}
	if m.Type == "image" && m.MimeType != nil && !strings.HasPrefix(*m.MimeType, "image/") {
		vs.Add(prefix+"mimeType", "invalid_mime_type", "an image's type is image/*")
	}
	if ch.ClearWidth {
		m.Width = nil
	} else if ch.Width != nil {
		m.Width = ch.Width
	}
	if ch.ClearHeight {
		m.Height = nil
	} else if ch.Height != nil {
		m.Height = ch.Height
	}
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
		if err != nil {
			vs = append(vs, err.(*fault.Error).Violations...)
			continue
		}
		out = append(out, m)
	}
	return out, vs.Err()
}
