"""WTForms forms built from stored survey definitions."""
