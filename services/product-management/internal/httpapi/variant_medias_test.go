package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func bySrc(src string) pm.VariantMediaAssignment { return pm.VariantMediaAssignment{Src: &src} }
func byIRI(iri string) pm.VariantMediaAssignment { return pm.VariantMediaAssignment{Media: &iri} }

// mediaSrcs returns the srcs of embedded medias, or the IRIs of unexpanded ones.
func mediaSrcs(t *testing.T, list *[]pm.MediaOrIri) []string {
	t.Helper()
	if list == nil {
		t.Fatal("no medias member")
	}
	out := []string{}
	for _, x := range *list {
		if m, err := x.AsMedia(); err == nil && m.Src != "" {
			out = append(out, m.Src)
		} else if iri, err := x.AsIri(); err == nil {
			out = append(out, iri)
		} else {
			t.Fatalf("media entry is neither: %v", err)
		}
	}
	return out
}

func TestVariantMedias(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	const a, b, c = "https://cdn.example.com/vm/a.jpg", "https://cdn.example.com/vm/b.jpg", "https://cdn.example.com/vm/c.jpg"
	in := tshirt("VM", 3)
	in.Medias = &[]pm.MediaCreate{image(a), image(b), image(c)}
	(*in.Variants)[0].Medias = &[]pm.VariantMediaAssignment{bySrc(b), bySrc(a), bySrc(b)} // the repeat is dropped
	(*in.Variants)[1].Medias = &[]pm.VariantMediaAssignment{bySrc(c)}
	p := w.create(t, w.c, in)
	read := func(t *testing.T, expand string) pm.Product {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: &expand})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return *resp.ApplicationldJSON200
	}
	variant := func(t *testing.T, p pm.Product, i int) pm.Variant {
		t.Helper()
		v, err := p.Variants[i].AsVariant()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	productMedia := map[string]string{} // src -> IRI
	var cMedia pm.Media
	for _, x := range *read(t, "medias").Medias {
		m, _ := x.AsMedia()
		productMedia[m.Src] = m.LdID
		if m.Src == c {
			cMedia = m
		}
	}

	t.Run("variants name the product's new medias by src, in order", func(t *testing.T) {
		got := read(t, "variants,medias")
		for i, want := range [][]string{{b, a}, {c}, {}} {
			if srcs := mediaSrcs(t, variant(t, got, i).Medias); strings.Join(srcs, " ") != strings.Join(want, " ") {
				t.Errorf("variant %d medias = %v, want %v", i, srcs, want)
			}
		}
		plain := read(t, "variants")
		if iris := mediaSrcs(t, variant(t, plain, 0).Medias); iris[0] != productMedia[b] {
			t.Errorf("without expand=medias a variant lists IRIs: %v", iris)
		}
		v := variant(t, plain, 0)
		one, err := w.c.GetVariantWithResponse(ctx, v.Id, &pm.GetVariantParams{Expand: ptr("medias")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, one, 200)
		if srcs := mediaSrcs(t, one.ApplicationldJSON200.Medias); len(srcs) != 2 || srcs[0] != b {
			t.Errorf("variant read with expand=medias = %v", srcs)
		}
	})

	other := w.create(t, w.c, pm.ProductCreate{Title: some("Other"), Medias: &[]pm.MediaCreate{image("https://cdn.example.com/vm/other.jpg")}})
	otherMedia, _ := (*other.Medias)[0].AsIri()

	t.Run("a variant points only at its product's medias", func(t *testing.T) {
		bad := tshirt("VMBAD", 2)
		bad.Medias = &[]pm.MediaCreate{image(a)}
		(*bad.Variants)[0].Medias = &[]pm.VariantMediaAssignment{{Src: ptr(a), Media: ptr(otherMedia)}}
		(*bad.Variants)[1].Medias = &[]pm.VariantMediaAssignment{bySrc(a), bySrc("https://cdn.example.com/vm/nope.jpg"), byIRI(otherMedia)}
		resp, err := w.c.CreateProductWithResponse(ctx, nil, bad)
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 422, "variants[0].medias[0]")
		for _, path := range []string{"variants[1].medias[1].src", "variants[1].medias[2].media"} {
			found := false
			for _, v := range *pr.Violations {
				found = found || v.PropertyPath == path
			}
			if !found {
				t.Errorf("no violation at %s: %s", path, resp.Body)
			}
		}
		v := variant(t, read(t, "variants"), 2)
		upd, err := w.c.UpdateVariantWithBodyWithResponse(ctx, v.Id, nil, "application/merge-patch+json",
			strings.NewReader(`{"medias":[{"media":"`+otherMedia+`"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, upd, 422, "medias[0].media")
	})

	t.Run("variant create and patch set the list", func(t *testing.T) {
		v := variant(t, read(t, "variants"), 2)
		upd, err := w.c.UpdateVariantWithBodyWithResponse(ctx, v.Id, nil, "application/merge-patch+json",
			strings.NewReader(`{"medias":[{"media":"`+productMedia[c]+`"},{"src":"`+a+`"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, upd, 200)
		if iris := mediaSrcs(t, upd.ApplicationldJSON200.Medias); len(iris) != 2 || iris[0] != productMedia[c] || iris[1] != productMedia[a] {
			t.Fatalf("patched medias = %v", iris)
		}
		created, err := w.c.CreateProductVariantWithResponse(ctx, other.Id, nil, pm.VariantCreate{Sku: "VM-OTHER", Medias: &[]pm.VariantMediaAssignment{bySrc("https://cdn.example.com/vm/other.jpg")}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, created, 201)
		if iris := mediaSrcs(t, created.ApplicationldJSON201.Medias); len(iris) != 1 || iris[0] != otherMedia {
			t.Fatalf("created variant medias = %v", iris)
		}
	})

	t.Run("product patch replaces its medias and detaches the left-out ones from variants", func(t *testing.T) {
		extra, err := w.c.CreateMediaWithResponse(ctx, nil, image("https://cdn.example.com/vm/d.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, extra, 201)
		video, err := w.c.CreateMediaWithResponse(ctx, nil, pm.MediaCreate{Type: pm.Video, Src: "https://cdn.example.com/vm/v.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, video, 201)
		patch := func(iris ...string) *pm.UpdateProductResponse {
			t.Helper()
			list := make([]string, len(iris))
			for i, iri := range iris {
				list[i] = `{"media":"` + iri + `"}`
			}
			resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"medias":[`+strings.Join(list, ",")+`]}`))
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		expectProblem(t, patch(productMedia[a], video.ApplicationldJSON201.LdID), 422, "medias[1]")
		expectProblem(t, patch("/rest/api/medias/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"), 422, "medias[0].media")
		// b goes, c moves first, d joins.
		resp := patch(productMedia[c], productMedia[a], extra.ApplicationldJSON201.LdID)
		expectStatus(t, resp, 200)
		got := read(t, "variants,medias")
		if srcs := mediaSrcs(t, got.Medias); strings.Join(srcs, " ") != strings.Join([]string{c, a, "https://cdn.example.com/vm/d.jpg"}, " ") {
			t.Fatalf("product medias = %v", srcs)
		}
		if srcs := mediaSrcs(t, variant(t, got, 0).Medias); len(srcs) != 1 || srcs[0] != a {
			t.Errorf("variant 0 kept %v, want only a (b left the product)", srcs)
		}
		if srcs := mediaSrcs(t, variant(t, got, 1).Medias); len(srcs) != 1 || srcs[0] != c {
			t.Errorf("variant 1 = %v, want c kept", srcs)
		}
	})

	t.Run("deleting a media detaches it everywhere", func(t *testing.T) {
		del, err := w.c.DeleteMediaWithResponse(ctx, cMedia.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		got := read(t, "variants")
		for _, iri := range mediaSrcs(t, got.Medias) {
			if iri == productMedia[c] {
				t.Error("the product still lists the deleted media")
			}
		}
		if iris := mediaSrcs(t, variant(t, got, 1).Medias); len(iris) != 0 {
			t.Errorf("variant 1 still lists %v", iris)
		}
	})

	t.Run("another tenant's media cannot be attached", func(t *testing.T) {
		partner := w.id.Partner("Stranger")
		org := partner.Org(t, "Stranger")
		partner.Instance(t, org, "stranger-vm")
		theirs := w.create(t, w.pm.Client(partner, "stranger-vm", org), pm.ProductCreate{Title: some("x"), Medias: &[]pm.MediaCreate{image(a)}})
		iri, _ := (*theirs.Medias)[0].AsIri()
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"medias":[{"media":"`+iri+`"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "medias[0].media")
	})
}
