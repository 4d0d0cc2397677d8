// weaviate-client's GraphQL dependency types `fetch` through cross-fetch, whose
// declarations reference the browser's DOM library: once anything imports
// weaviate-client, DOM's fetch types would replace Node's in the whole program
// (tsconfig.json maps cross-fetch here). Node has its own fetch.
export declare const fetch: typeof globalThis.fetch;
export default fetch;
