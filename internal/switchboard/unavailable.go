package switchboard

// EUNAVAILABLE is the code of a request the service is too busy to serve now
// (503, with RetryAfter): it did nothing, and the same request may succeed
// shortly. It has its own file so as not to touch error.go's list.
const EUNAVAILABLE = "unavailable"
