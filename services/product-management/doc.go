// Package productmanagement is the Flowkiwi Product Management service: a JSON-LD catalog API whose
// tenant is the instance named by the Host subdomain.
package productmanagement
