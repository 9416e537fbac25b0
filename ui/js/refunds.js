// The refunds view (Link Money console).

export function init() {}
export function refresh() {}
export function onKey() { return false; }
export function openRecord() {}
