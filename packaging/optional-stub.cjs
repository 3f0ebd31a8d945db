// Stands in for optional modules some dependencies try to load (supports-color for debug,
// cardinal for mysql2's query highlighting): the bundle works without them, and a single
// executable warns on any require() of a module it does not contain.
module.exports = {};
