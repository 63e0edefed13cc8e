// A racing game's lap-time leaderboard on tally (docs/racing-game.md walks through the same flow
// with redis-cli). The fastest lap wins, so the tournament is created with ORDER ASC; equal
// times rank by who set them first (TIEBREAK FIRST). Each best lap carries the driver's display
// name and car as JSON (DATA), so a page of the board or a friends view is one round trip.
//
//   npm ci && npm run example:racing      (REDIS_URL defaults to redis://127.0.0.1:6379)

import { pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import tally from '@tally/redis';

/** What a lap record shows besides the time: kept with the member's best lap (DATA). */
export interface Driver {
  name: string;
  car: string;
}

/** A row of a leaderboard page: rank, driver, car and the lap time. */
export interface LapRow {
  rank: number;
  playerId: string;
  name: string;
  car: string;
  lapMs: number;
  /** The time as a race timer shows it, e.g. `1:22.950`. */
  lap: string;
}

export interface LapResult {
  /** The player's best lap (this one when it is a new best). */
  bestMs: number;
  rank: number;
  /** Whether this lap beat the player's previous best (only then are name and car stored). */
  personalBest: boolean;
}

/** 82950 -> '1:22.950'. */
export function formatLap(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0');
  return `${minutes}:${seconds}`;
}

function row(entry: { member: string; score: number; rank: number; data: string | null }): LapRow {
  // A member written without DATA (e.g. by another tool) still gets a row.
  const driver: Partial<Driver> = entry.data === null ? {} : (JSON.parse(entry.data) as Driver);
  return {
    rank: entry.rank,
    playerId: entry.member,
    name: driver.name ?? entry.member,
    car: driver.car ?? '?',
    lapMs: entry.score,
    lap: formatLap(entry.score)
  };
}

const connect = (url: string) => createClient({ url, modules: { tally } });

/** The lap times of one track: the lowest time is rank 1. */
export class LapBoard {
  private client: ReturnType<typeof connect>;
  readonly key: string;

  constructor(redisUrl: string, track: string) {
    this.client = connect(redisUrl);
    // The hash tag keeps the board, its settings and its data hash in one cluster slot.
    this.key = `laps:{${track}}`;
  }

  async initialize(): Promise<void> {
    await this.client.connect();
    // OK also when it exists with these settings: safe at every start.
    await this.client.tally.tourneyCreate(this.key, { order: 'ASC', tiebreak: 'FIRST' });
  }

  /** A finished lap: kept if it is the player's best (BEST on an ASC board keeps the lower time). */
  async submitLap(playerId: string, lapMs: number, driver: Driver): Promise<LapResult> {
    const reply = await this.client.tally.tourneySubmit(this.key, playerId, lapMs, {
      data: JSON.stringify(driver)
    });
    return { bestMs: reply.score, rank: reply.rank, personalBest: reply.updated };
  }

  /** The top `count` laps, fastest first, with names and cars: one call. */
  async topPage(count = 10, offset = 0): Promise<Array<LapRow>> {
    return (await this.client.tally.tourneyTopWithData(this.key, count, { offset })).map(row);
  }

  /** The player and their friends on this track, fastest first; friends without a lap are left out. */
  async friendsView(playerId: string, friendIds: Array<string>): Promise<Array<LapRow>> {
    return (await this.client.tally.tourneyRanksWithData(this.key, [playerId, ...friendIds])).map(row);
  }

  /** The laps just faster and just slower than the player's; null before their first lap. */
  async aroundMe(playerId: string, radius = 2): Promise<Array<LapRow> | null> {
    return (await this.client.tally.tourneyAroundWithData(this.key, playerId, radius))?.map(row) ?? null;
  }

  /** The share of drivers with the same or a slower best lap, e.g. 'faster than 75%'. */
  async percentile(playerId: string): Promise<number | null> {
    return this.client.tally.tourneyPercentile(this.key, playerId);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The race of docs/racing-game.md: five drivers at Monza; ana's friends are ben and eve. */
export async function race(redisUrl: string): Promise<{ top: Array<LapRow>; friends: Array<LapRow> }> {
  const board = new LapBoard(redisUrl, 'monza');
  await board.initialize();
  try {
    await board.submitLap('ana', 83410, { name: 'Ana', car: 'Ferrari 499P' });
    await board.submitLap('ben', 82950, { name: 'Ben', car: 'Porsche 963' });
    await board.submitLap('cy', 84120, { name: 'Cy', car: 'BMW M4 GT3' });
    await board.submitLap('dee', 83410, { name: 'Dee', car: 'Toyota GR010' });
    // A slower lap in another car: ana's best (and the car it was set in) stays.
    await board.submitLap('ana', 84000, { name: 'Ana', car: 'Alpine A424' });
    // eve improves: her second lap is stored, with the car she set it in.
    await board.submitLap('eve', 85300, { name: 'Eve', car: 'Cadillac V-Series.R' });
    await board.submitLap('eve', 83100, { name: 'Eve', car: 'Cadillac V-Series.R' });
    return { top: await board.topPage(10), friends: await board.friendsView('ana', ['ben', 'eve', 'zoe']) };
  } finally {
    await board.close();
  }
}

// Run directly (not imported by the tests): print the two views.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { top, friends } = await race(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const print = (rows: Array<LapRow>) =>
    rows.forEach((r) => console.log(`${String(r.rank).padStart(3)}  ${r.lap}  ${r.name.padEnd(5)} ${r.car}`));
  console.log('Monza, top 10:');
  print(top);
  console.log("ana's friends:");
  print(friends);
}
