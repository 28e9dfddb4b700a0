"""The store's catalog: SKUs (food, litter, paste, ...) and services (grooming, deworming, vaccine)."""
