package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// seoTitle and seoDescription work end to end: a create holding only them stores them, a patch in
// another locale writes one without touching the rest, a null removes one, a read falls back to the
// default locale's text by text, events carry them, and an export line brings them to an import.
func TestSeoTextsEndToEnd(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	// No title nor description: only the SEO texts (the old create wrote no translation then).
	p := w.create(t, w.c, pm.ProductCreate{Key: some("SEO-1"), SeoTitle: some("Tee | Acme"), SeoDescription: some("A soft tee.")})
	if p.SeoTitle.MustGet() != "Tee | Acme" || p.SeoDescription.MustGet() != "A soft tee." || !p.Title.IsNull() {
		t.Fatalf("created: %+v", p)
	}
	if resp, err := w.c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "de-DE"}); err != nil || resp.StatusCode() != 201 {
		t.Fatalf("locale: %v", err)
	}
	patch := func(loc, doc string) pm.Product {
		t.Helper()
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(doc), locale(loc, false))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return *resp.ApplicationldJSON200
	}
	read := func(loc string, fallback bool) pm.Product {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, nil, locale(loc, fallback))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return *resp.ApplicationldJSON200
	}
	// Only seoDescription in German (the old update wrote nothing without title or description).
	if de := patch("de-DE", `{"seoDescription":"Ein weiches T-Shirt."}`); de.SeoDescription.MustGet() != "Ein weiches T-Shirt." || !de.SeoTitle.IsNull() {
		t.Fatalf("patched in de-DE: %+v", de)
	}
	if de := read("de-DE", true); de.SeoTitle.MustGet() != "Tee | Acme" || de.SeoDescription.MustGet() != "Ein weiches T-Shirt." {
		t.Fatalf("de-DE with fallback: seoTitle %v, seoDescription %v", de.SeoTitle, de.SeoDescription)
	}
	if en := read("en", false); en.SeoDescription.MustGet() != "A soft tee." {
		t.Fatalf("the English text moved: %+v", en.SeoDescription)
	}
	if en := patch("en", `{"seoTitle":null,"title":"Tee"}`); !en.SeoTitle.IsNull() || en.SeoDescription.MustGet() != "A soft tee." || en.Title.MustGet() != "Tee" {
		t.Fatalf("after removing seoTitle: %+v", en)
	}

	events, _ := feedAtLeast(t, w.c, pm.ListEventsParams{}, 3)
	var seen []string
	for _, e := range events {
		if e.Resource == p.LdID {
			seen = append(seen, e.Type+":"+str(e.Data["seoDescription"]))
		}
	}
	want := []string{"product.created:A soft tee.", "product.updated:Ein weiches T-Shirt.", "product.updated:A soft tee."}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("events show %q, want %q", seen, want)
	}

	_, file := exported(t, w.c, `{}`)
	if !strings.Contains(string(file), `"seoDescription":"A soft tee."`) {
		t.Fatalf("the export line lacks seoDescription: %s", file)
	}
	line := strings.Replace(strings.TrimSpace(string(file)), `"SEO-1"`, `"SEO-2"`, 1)
	line = strings.Replace(line, `"A soft tee."`, `"Imported."`, 1)
	_, results := imported(t, w.c, line+"\n", nil)
	if len(results) != 1 || results[0].Status != 201 {
		t.Fatalf("import: %+v", results)
	}
	resp, err := w.c.GetProductByKeyWithResponse(ctx, "SEO-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	if got := resp.ApplicationldJSON200; got.SeoDescription.MustGet() != "Imported." || got.Title.MustGet() != "Tee" {
		t.Fatalf("imported: %s", resp.Body)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
