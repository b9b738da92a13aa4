package postgres

// PageTitleSearches sets how many matches a title search gathers before it walks instead, and
// above how many expected matches it walks from the start.
func (s *Store) PageTitleSearches(gather, walkAbove int) {
	s.gatherTitleMatches, s.walkSearchesAbove = gather, walkAbove
}
