/* The module API's floor under TOURNEY.RANK, measured by `make bench` beside it (bench/notes.md).
 *
 * There is no module API for a rank, so a module's rank is ZREVRANK through RM_Call; and a
 * leaderboard may be a tournament (ORDER ASC, TIEBREAK FIRST), whose settings key must be looked
 * up before ranking. These commands make exactly those calls and nothing else: no argument
 * parsing beyond argc, no key validation, no panic barrier, no statistics. Whatever TOURNEY.RANK
 * costs above FLOOR.RANK is tally's own; what FLOOR.RANK costs above ZREVRANK, no module can avoid.
 *
 * FLOOR.RANK key member: looks up `<key>:tourney` as tally does (read-only, no LRU touch, no
 * keyspace event or statistics); when it is absent, ZREVRANK through RM_Call and its rank + 1.
 * A tournament's leaderboard gets an error: the benchmark's boards are plain.
 * FLOOR.ZREVRANK key member: the RM_Call and the reply alone, without the settings lookup (a
 * bound, not a correct rank: it would rank ORDER ASC and TIEBREAK FIRST tournaments wrong).
 *
 * Not part of tally: built by bench/lib.sh into target/release/ for the benchmark only. */
#include <string.h>

#include "redismodule.h"

#define SETTINGS_SUFFIX ":tourney"
#define NAME_MAX_BYTES 512

static int reply_rank(RedisModuleCtx *ctx, RedisModuleString *key, RedisModuleString *member) {
    RedisModuleCallReply *reply = RedisModule_Call(ctx, "ZREVRANK", "ss", key, member);
    if (reply == NULL) return RedisModule_ReplyWithError(ctx, "ERR ZREVRANK could not run");
    switch (RedisModule_CallReplyType(reply)) {
    case REDISMODULE_REPLY_INTEGER:
        RedisModule_ReplyWithLongLong(ctx, RedisModule_CallReplyInteger(reply) + 1);
        break;
    case REDISMODULE_REPLY_ERROR:
        RedisModule_ReplyWithCallReply(ctx, reply);
        break;
    default:
        RedisModule_ReplyWithNull(ctx);
    }
    RedisModule_FreeCallReply(reply);
    return REDISMODULE_OK;
}

static int floor_rank(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    size_t len;
    const char *key = RedisModule_StringPtrLen(argv[1], &len);
    char name[NAME_MAX_BYTES];
    if (len > sizeof(name) - strlen(SETTINGS_SUFFIX)) return RedisModule_ReplyWithError(ctx, "ERR key too long");
    memcpy(name, key, len);
    memcpy(name + len, SETTINGS_SUFFIX, strlen(SETTINGS_SUFFIX));
    RedisModuleString *settings_name = RedisModule_CreateString(ctx, name, len + strlen(SETTINGS_SUFFIX));
    int mode = REDISMODULE_READ | REDISMODULE_OPEN_KEY_NOTOUCH | REDISMODULE_OPEN_KEY_NONOTIFY |
               REDISMODULE_OPEN_KEY_NOSTATS;
    RedisModuleKey *settings = RedisModule_OpenKey(ctx, settings_name, mode);
    int tournament = RedisModule_KeyType(settings) != REDISMODULE_KEYTYPE_EMPTY;
    RedisModule_CloseKey(settings);
    RedisModule_FreeString(ctx, settings_name);
    if (tournament) return RedisModule_ReplyWithError(ctx, "ERR FLOOR.RANK ranks plain leaderboards only");
    return reply_rank(ctx, argv[1], argv[2]);
}

static int floor_zrevrank(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    if (argc != 3) return RedisModule_WrongArity(ctx);
    return reply_rank(ctx, argv[1], argv[2]);
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (RedisModule_Init(ctx, "tallyfloor", 1, REDISMODULE_APIVER_1) == REDISMODULE_ERR) return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "floor.rank", floor_rank, "readonly fast", 1, 1, 1) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    return RedisModule_CreateCommand(ctx, "floor.zrevrank", floor_zrevrank, "readonly fast", 1, 1, 1);
}
