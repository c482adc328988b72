/** Kept equal to package.json's version by a test. */
export const VERSION = '0.1.0'

/** WeChat Pay rejects requests without a User-Agent (400 INVALID_REQUEST); ours names the product. */
export const USER_AGENT = `payscore-terminate/${VERSION} node/${process.versions.node}`
