package bulk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// A re-sent unchanged line is recognised by its fingerprint (migration 030) without decoding,
// validating or writing anything: a partner's nightly full sync mostly re-sends what it sent the
// night before. A line is unchanged when
//   - its digest (fingerprintVersion, the import's locale, the line's bytes) is the one the line
//     that last set its product left,
//   - every reference it made by key still names what it named then, and
//   - the product's document is still the revision that line left (every write to a product, by
//     an import or not, rewrites its document).
// Then setting it again would find the product as that line left it: nothing to do.

// fingerprintVersion changes when what a line means changes (a field's default, say), so lines
// fingerprinted before are decoded and compared again.
const fingerprintVersion = "flowkiwi-import-1"

func digest(locale string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(fingerprintVersion))
	h.Write([]byte{0})
	h.Write([]byte(locale))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

// recognise marks the results of the lines at todo that their fingerprints show unchanged (200,
// unchanged) and reports the lines left to apply. A key given by more than one line of the batch
// is left to the full path: an earlier line may change what the later one finds.
func (s *Service) recognise(ctx context.Context, instance uuid.UUID, locale string, lines []Line, todo []int, results []Result) ([]int, error) {
	keys := make([]string, len(todo))
	given := make(map[string]int, len(todo)) // key: how many lines give it
	for k, i := range todo {
		var head struct {
			Key string `json:"key"`
		}
		if json.Unmarshal(lines[i].Body, &head) == nil && head.Key != "" && catalog.ValidKey(head.Key) {
			keys[k] = head.Key
			given[head.Key]++
		}
	}
	asked := make([]string, 0, len(given))
	for key := range given {
		asked = append(asked, key)
	}
	if len(asked) == 0 {
		return todo, nil
	}
	fps, err := s.store.Fingerprints(ctx, instance, asked)
	if err != nil || len(fps) == 0 {
		return todo, err
	}
	var match []int // indexes into todo whose digest matches
	var refs []catalog.KeyRef
	for k, i := range todo {
		fp, ok := fps[keys[k]]
		if !ok || given[keys[k]] > 1 || !bytes.Equal(fp.Digest, digest(locale, lines[i].Body)) {
			continue
		}
		match = append(match, k)
		for _, r := range fp.Refs {
			refs = append(refs, r.KeyRef)
		}
	}
	if len(match) == 0 {
		return todo, nil
	}
	var found map[catalog.KeyRef]uuid.UUID
	if len(refs) > 0 {
		if found, err = s.catalog.IDsOfKeys(ctx, instance, refs); err != nil {
			return nil, err
		}
	}
	same := make(map[int]bool, len(match))
next:
	for _, k := range match {
		fp := fps[keys[k]]
		for _, r := range fp.Refs {
			if found[r.KeyRef] != r.ID {
				continue next
			}
		}
		key := keys[k]
		results[todo[k]] = Result{N: lines[todo[k]].N, Key: &key, Status: 200, Product: fp.Product, Unchanged: true}
		same[k] = true
	}
	left := todo[:0:0]
	for k, i := range todo {
		if !same[k] {
			left = append(left, i)
		}
	}
	return left, nil
}

// remember records the fingerprints of the lines just applied: for each product set, its last
// line's.
func (s *Service) remember(ctx context.Context, instance uuid.UUID, locale string, lines []Line, decoded []Decoded, at []int, results []Result) error {
	byProduct := map[uuid.UUID]int{}
	var fps []Fingerprint
	for k, d := range decoded {
		r := results[at[k]]
		if d.Err != nil || (r.Status != 200 && r.Status != 201) {
			continue
		}
		fp := Fingerprint{Product: r.Product, Digest: digest(locale, lines[at[k]].Body), Refs: d.Refs}
		if j, ok := byProduct[r.Product]; ok {
			fps[j] = fp
			continue
		}
		byProduct[r.Product] = len(fps)
		fps = append(fps, fp)
	}
	if len(fps) == 0 {
		return nil
	}
	return s.store.RecordFingerprints(ctx, instance, fps)
}
