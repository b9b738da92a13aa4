module github.com/flowkiwi/platform/db

go 1.26.0
