"""Monthly food plans: by species, breed and age stage, versioned, checked against policy and rail limits."""
