-- Products' translatable seoTitle and seoDescription (issue 25): two columns of
-- product_translations, which product_document takes as they are (migration 031). Stored documents
-- need no rewrite: a text that is null is left out of a document.
alter table product_translations add column seo_title text, add column seo_description text;
