package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func image(src string) pm.MediaCreate {
	return pm.MediaCreate{Type: pm.Image, Src: src, MimeType: some("image/jpeg"), Alt: some("A photo"),
		Width: nullable.NewNullableWithValue(800), Height: nullable.NewNullableWithValue(600)}
}

func TestMedias(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	t.Run("product images inline, in order", func(t *testing.T) {
		p := w.create(t, w.c, pm.ProductCreate{Title: some("Lamp"), Medias: &[]pm.MediaCreate{image("https://cdn.example.com/a.jpg"), image("https://cdn.example.com/b.jpg")}})
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: ptr("medias")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		ms := *resp.ApplicationldJSON200.Medias
		first, err1 := ms[0].AsMedia()
		second, err2 := ms[1].AsMedia()
		if err1 != nil || err2 != nil || first.Src != "https://cdn.example.com/a.jpg" || second.Src != "https://cdn.example.com/b.jpg" || first.Alt.MustGet() != "A photo" {
			t.Fatalf("medias = %s", resp.Body)
		}
	})
	t.Run("only images attach, each violation at medias[N]", func(t *testing.T) {
		video := pm.MediaCreate{Type: pm.Video, Src: "https://cdn.example.com/v.mp4"}
		badMime := image("https://cdn.example.com/c.jpg")
		badMime.MimeType = some("text/html")
		badURL := image("ftp://cdn.example.com/d.jpg")
		resp, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: some("x"), Medias: &[]pm.MediaCreate{image("https://cdn.example.com/ok.jpg"), video, badMime, badURL}})
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 422, "medias[1]")
		for _, path := range []string{"medias[2].mimeType", "medias[3].src"} {
			found := false
			for _, v := range *pr.Violations {
				found = found || v.PropertyPath == path
			}
			if !found {
				t.Errorf("no violation at %s: %s", path, resp.Body)
			}
		}
	})
	t.Run("media resource", func(t *testing.T) {
		resp, err := w.c.CreateMediaWithResponse(ctx, nil, pm.MediaCreate{Type: pm.Video, Src: "https://cdn.example.com/v.mp4"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		m := resp.ApplicationldJSON201
		upd, err := w.c.UpdateMediaWithBodyWithResponse(ctx, m.Id, nil, "application/merge-patch+json", strings.NewReader(`{"alt":"Demo video","width":1920}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, upd, 200)
		if upd.ApplicationldJSON200.Alt.MustGet() != "Demo video" || upd.ApplicationldJSON200.Width.MustGet() != 1920 {
			t.Fatalf("media = %s", upd.Body)
		}
		del, err := w.c.DeleteMediaWithResponse(ctx, m.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		other := w.id.Partner("Other")
		org := other.Org(t, "Other")
		other.Instance(t, org, "other-lamps")
		list, err := w.pm.Client(other, "other-lamps", org).ListMediasWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if list.ApplicationldJSON200.TotalItems != 0 {
			t.Fatal("another tenant lists our medias")
		}
	})
}
