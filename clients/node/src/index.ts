// @tally/redis: the tally module's commands for node-redis.
//
//   import { createClient } from 'redis';
//   import tally from '@tally/redis';
//   const client = createClient({ modules: { tally } });
//   await client.tally.tourneyIncr('t:{cup}', 'ada', 10); // { score: 10, rank: 1 }
//
// Like @redis/json and @redis/bloom, the module is a table of command definitions
// (`parseCommand` builds the arguments, `transformReply` types the reply), each under an
// UPPER_CASE name and a camelCase alias. node-redis attaches the table to the client,
// cluster, pool, sentinel and MULTI under the key it is registered with.

import { AUDIT_APPEND, AUDIT_CREATE, AUDIT_DIGEST, AUDIT_GROUP, AUDIT_INFO, AUDIT_VERIFY } from './audit.js';
import {
  LIMIT_ACQUIRE,
  LIMIT_FIXED,
  LIMIT_GCRA,
  LIMIT_MULTI,
  LIMIT_RELEASE,
  LIMIT_RENEW,
  LIMIT_RESET,
  LIMIT_SLIDE
} from './limit.js';
import {
  TOURNEY_AROUND,
  TOURNEY_AROUND_WITHDATA,
  TOURNEY_CREATE,
  TOURNEY_INCR,
  TOURNEY_INFO,
  TOURNEY_PERCENTILE,
  TOURNEY_RANK,
  TOURNEY_RANK_WITHSCORE,
  TOURNEY_RANKS,
  TOURNEY_RANKS_WITHDATA,
  TOURNEY_REM,
  TOURNEY_SUBMIT,
  TOURNEY_TOP,
  TOURNEY_TOP_WITHDATA
} from './tourney.js';

export const tally = {
  TOURNEY_INCR,
  tourneyIncr: TOURNEY_INCR,
  TOURNEY_SUBMIT,
  tourneySubmit: TOURNEY_SUBMIT,
  TOURNEY_RANK,
  tourneyRank: TOURNEY_RANK,
  TOURNEY_RANK_WITHSCORE,
  tourneyRankWithScore: TOURNEY_RANK_WITHSCORE,
  TOURNEY_RANKS,
  tourneyRanks: TOURNEY_RANKS,
  TOURNEY_RANKS_WITHDATA,
  tourneyRanksWithData: TOURNEY_RANKS_WITHDATA,
  TOURNEY_TOP,
  tourneyTop: TOURNEY_TOP,
  TOURNEY_TOP_WITHDATA,
  tourneyTopWithData: TOURNEY_TOP_WITHDATA,
  TOURNEY_AROUND,
  tourneyAround: TOURNEY_AROUND,
  TOURNEY_AROUND_WITHDATA,
  tourneyAroundWithData: TOURNEY_AROUND_WITHDATA,
  TOURNEY_PERCENTILE,
  tourneyPercentile: TOURNEY_PERCENTILE,
  TOURNEY_REM,
  tourneyRem: TOURNEY_REM,
  TOURNEY_CREATE,
  tourneyCreate: TOURNEY_CREATE,
  TOURNEY_INFO,
  tourneyInfo: TOURNEY_INFO,
  LIMIT_SLIDE,
  limitSlide: LIMIT_SLIDE,
  LIMIT_MULTI,
  limitMulti: LIMIT_MULTI,
  LIMIT_GCRA,
  limitGcra: LIMIT_GCRA,
  LIMIT_FIXED,
  limitFixed: LIMIT_FIXED,
  LIMIT_ACQUIRE,
  limitAcquire: LIMIT_ACQUIRE,
  LIMIT_RELEASE,
  limitRelease: LIMIT_RELEASE,
  LIMIT_RENEW,
  limitRenew: LIMIT_RENEW,
  LIMIT_RESET,
  limitReset: LIMIT_RESET,
  AUDIT_APPEND,
  auditAppend: AUDIT_APPEND,
  AUDIT_GROUP,
  auditGroup: AUDIT_GROUP,
  AUDIT_INFO,
  auditInfo: AUDIT_INFO,
  AUDIT_CREATE,
  auditCreate: AUDIT_CREATE,
  AUDIT_VERIFY,
  auditVerify: AUDIT_VERIFY,
  AUDIT_DIGEST,
  auditDigest: AUDIT_DIGEST
} as const;

export default tally;

export * from './audit.js';
export * from './limit.js';
export * from './tourney.js';
export { TallyReplyError } from './reply.js';
