"""Advances (垫资): part of a contract's value paid early to the store by a licensed financing
partner, repaid from the contract's later collections."""
