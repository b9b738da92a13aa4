package catalog

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Locales are an instance's enabled locales.
type Locales struct {
	Default string
	Enabled map[string]time.Time // code -> enabled at
}

// ReadLocale says which texts a read returns: Code's, falling back to Fallback's when set.
type ReadLocale struct {
	Code     string
	Fallback string
}

// Locale is an enabled locale.
type Locale struct {
	Code      string
	IsDefault bool
	CreatedAt time.Time
}

// LocaleStore persists an instance's locales.
type LocaleStore interface {
	Locales(ctx context.Context, instance uuid.UUID) (Locales, error)
	EnableLocale(ctx context.Context, instance uuid.UUID, code string, makeDefault bool) (Locale, error)
	SetDefaultLocale(ctx context.Context, instance uuid.UUID, code string) (Locale, error)
	DisableLocale(ctx context.Context, instance uuid.UUID, code string) error
}

// ReadLocale resolves the locale of a read: the requested one (it must be enabled) or the default;
// with fallback, missing texts come from the default locale.
func (s *Service) ReadLocale(ctx context.Context, instance uuid.UUID, requested *string, fallback bool) (ReadLocale, error) {
	ls, err := s.locales.Locales(ctx, instance)
	if err != nil {
		return ReadLocale{}, err
	}
	code, err := pick(ls, requested)
	if err != nil {
		return ReadLocale{}, err
	}
	rl := ReadLocale{Code: code}
	if fallback && code != ls.Default {
		rl.Fallback = ls.Default
	}
	return rl, nil
}

// WriteLocale resolves the locale texts of a write are stored in.
func (s *Service) WriteLocale(ctx context.Context, instance uuid.UUID, requested *string) (string, error) {
	ls, err := s.locales.Locales(ctx, instance)
	if err != nil {
		return "", err
	}
	return pick(ls, requested)
}

func pick(ls Locales, requested *string) (string, error) {
	if requested == nil || *requested == "" {
		return ls.Default, nil
	}
	if _, ok := ls.Enabled[*requested]; !ok {
		return "", badParam(ParamLocale, "locale_not_enabled", "the locale "+*requested+" is not enabled for this instance (see the locales)")
	}
	return *requested, nil
}

// Locales lists the enabled locales, the default first, then by code.
func (s *Service) Locales(ctx context.Context, instance uuid.UUID) ([]Locale, error) {
	ls, err := s.locales.Locales(ctx, instance)
	if err != nil {
		return nil, err
	}
	out := make([]Locale, 0, len(ls.Enabled))
	for code, at := range ls.Enabled {
		out = append(out, Locale{Code: code, IsDefault: code == ls.Default, CreatedAt: at})
	}
	slices.SortFunc(out, func(a, b Locale) int {
		switch {
		case a.IsDefault != b.IsDefault && a.IsDefault:
			return -1
		case a.IsDefault != b.IsDefault:
			return 1
		case a.Code < b.Code:
			return -1
		case a.Code > b.Code:
			return 1
		}
		return 0
	})
	return out, nil
}

// Locale returns an enabled locale, or not found.
func (s *Service) Locale(ctx context.Context, instance uuid.UUID, code string) (Locale, error) {
	ls, err := s.locales.Locales(ctx, instance)
	if err != nil {
		return Locale{}, err
	}
	at, ok := ls.Enabled[code]
	if !ok {
		return Locale{}, fault.NotFound("the locale %s is not enabled", code)
	}
	return Locale{Code: code, IsDefault: code == ls.Default, CreatedAt: at}, nil
}

var localePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$`)

// EnableLocale enables a BCP 47 locale (language, optional script, optional region).
func (s *Service) EnableLocale(ctx context.Context, instance uuid.UUID, code string, makeDefault bool) (Locale, error) {
	if !localePattern.MatchString(code) {
		return Locale{}, fault.Invalid("code", "invalid_locale", "not a BCP 47 language tag such as de, de-DE or zh-Hant-TW")
	}
	var out Locale
	_, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		return s.localeChanges(ctx, instance, func(ctx context.Context) (err error) {
			out, err = s.locales.EnableLocale(ctx, instance, code, makeDefault)
			return err
		})
	})
	return out, err
}

// localeChanges runs write and reports every locale it enabled or whose default flag it changed.
func (s *Service) localeChanges(ctx context.Context, instance uuid.UUID, write func(ctx context.Context) error) ([]Change, error) {
	before, err := s.Locales(ctx, instance)
	if err != nil {
		return nil, err
	}
	if err := write(ctx); err != nil {
		return nil, err
	}
	after, err := s.Locales(ctx, instance)
	if err != nil {
		return nil, err
	}
	was := map[string]Locale{}
	for _, l := range before {
		was[l.Code] = l
	}
	var out []Change
	for _, l := range after {
		switch old, existed := was[l.Code]; {
		case !existed:
			out = append(out, Change{Kind: KindLocale, Op: Created, ID: l.Code, Resource: l})
		case old.IsDefault != l.IsDefault:
			out = append(out, Change{Kind: KindLocale, Op: Updated, ID: l.Code, Resource: l})
		}
	}
	return out, nil
}

// UpdateLocale makes a locale the default (isDefault true), or leaves it as it is (nil); a locale
// stops being the default only when another one becomes it.
func (s *Service) UpdateLocale(ctx context.Context, instance uuid.UUID, code string, isDefault *bool) (Locale, error) {
	switch {
	case isDefault == nil:
		return s.Locale(ctx, instance, code)
	case !*isDefault:
		return Locale{}, fault.Invalid("isDefault", "invalid_choice", "make another locale the default instead")
	}
	var out Locale
	_, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		return s.localeChanges(ctx, instance, func(ctx context.Context) (err error) {
			out, err = s.locales.SetDefaultLocale(ctx, instance, code)
			return err
		})
	})
	return out, err
}

// DisableLocale disables a locale; the default cannot be disabled.
func (s *Service) DisableLocale(ctx context.Context, instance uuid.UUID, code string) error {
	return s.remove(ctx, instance, KindLocale, code, Touch{}, func(ctx context.Context) error { return s.locales.DisableLocale(ctx, instance, code) })
}
