package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func locale(code string, fallback bool) pm.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Flowkiwi-Locale", code)
		if fallback {
			r.Header.Set("X-Flowkiwi-Locale-Fallback", "true")
		}
		return nil
	}
}

func TestTranslations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("TR", 2)) // English texts: the default locale

	t.Run("a locale that is not enabled", func(t *testing.T) {
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, nil, locale("de-DE", false))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 400, "header.X-Flowkiwi-Locale")
	})
	t.Run("enable de-DE", func(t *testing.T) {
		resp, err := w.c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "de-DE"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		again, err := w.c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "de-DE"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, again, 409, "")
		bad, err := w.c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "german"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, bad, 422, "code")
		list, err := w.c.ListLocalesWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, list, 200)
		if list.ApplicationldJSON200.TotalItems != 2 || list.ApplicationldJSON200.Member[0].Code != "en" || !list.ApplicationldJSON200.Member[0].IsDefault {
			t.Fatalf("locales = %s", list.Body)
		}
	})
	t.Run("missing translation is null without fallback, the default with it", func(t *testing.T) {
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, nil, locale("de-DE", false))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if !resp.ApplicationldJSON200.Title.IsNull() {
			t.Fatalf("title = %s", resp.Body)
		}
		resp, err = w.c.GetProductWithResponse(ctx, p.Id, nil, locale("de-DE", true))
		if err != nil {
			t.Fatal(err)
		}
		if resp.ApplicationldJSON200.Title.MustGet() != "T-shirt TR" {
			t.Fatalf("fallback title = %s", resp.Body)
		}
	})
	t.Run("write and read German", func(t *testing.T) {
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"title":"T-Shirt","description":"Aus Bio-Baumwolle"}`), locale("de-DE", false))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.ApplicationldJSON200.Title.MustGet() != "T-Shirt" {
			t.Fatalf("German title = %s", resp.Body)
		}
		en, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if en.ApplicationldJSON200.Title.MustGet() != "T-shirt TR" || !en.ApplicationldJSON200.Description.IsNull() {
			t.Fatalf("English changed: %s", en.Body)
		}
		opt, _ := p.Options[0].AsIri()
		or, err := w.c.UpdateProductOptionWithBodyWithResponse(ctx, idOf(opt), nil, "application/merge-patch+json", strings.NewReader(`{"name":"Größe"}`), locale("de-DE", false))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, or, 200)
		de, err := w.c.GetProductOptionWithResponse(ctx, idOf(opt), nil, locale("de-DE", false))
		if err != nil {
			t.Fatal(err)
		}
		if de.ApplicationldJSON200.Name.MustGet() != "Größe" {
			t.Fatalf("option = %s", de.Body)
		}
		en2, err := w.c.GetProductOptionWithResponse(ctx, idOf(opt), nil)
		if err != nil {
			t.Fatal(err)
		}
		if en2.ApplicationldJSON200.Name.MustGet() != "Size" {
			t.Fatalf("English option = %s", en2.Body)
		}
	})
	t.Run("default locale", func(t *testing.T) {
		del, err := w.c.DeleteLocaleWithResponse(ctx, "en", nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 409, "")
		resp, err := w.c.UpdateLocaleWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, "de-DE", nil, pm.LocalePatch{IsDefault: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		got, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.ApplicationldJSON200.Title.MustGet() != "T-Shirt" {
			t.Fatalf("the default locale is now de-DE: %s", got.Body)
		}
		del, err = w.c.DeleteLocaleWithResponse(ctx, "en", nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		gone, err := w.c.GetProductWithResponse(ctx, p.Id, nil, locale("en", false))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, gone, 400, "header.X-Flowkiwi-Locale")
	})
}
