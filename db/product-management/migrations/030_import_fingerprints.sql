-- What an import last set each product from, so a re-sent unchanged line is recognised without
-- decoding, validating or rewriting anything (issue 23: a re-import at ten times the import's
-- speed). A line is unchanged when its fingerprint (its locale and text) equals the stored one,
-- the references it made by key still name the same resources, and the product's document is
-- still the revision that line left: any other write to the product rewrites its document.
create table product_import_fingerprints (
    instance_id uuid not null,
    product_id  uuid not null,
    fingerprint bytea not null,  -- sha-256 of the fingerprint's version, the locale and the line
    refs        jsonb not null,  -- [[kind, key, id], ...]: what the line named by key, and found
    revision    bigint not null, -- product_documents.revision once the line was applied
    primary key (instance_id, product_id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade
);
