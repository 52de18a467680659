'use strict';
// Loads the compiled binding; throws when it was not built (no libxmlsec1-dev), and the caller falls back.
module.exports = require('./build/Release/xmlsec_native.node');
