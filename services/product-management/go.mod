module github.com/flowkiwi/platform/services/product-management

go 1.26.0

require (
	github.com/flowkiwi/platform/db v0.0.0-00010101000000-000000000000
	github.com/flowkiwi/platform/pkg v0.0.0-00010101000000-000000000000
)

replace (
	github.com/flowkiwi/platform/db => ../../db
	github.com/flowkiwi/platform/pkg => ../../pkg
)
