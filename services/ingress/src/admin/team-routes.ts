import type { FastifyInstance } from 'fastify';
import { BlockTeamRequest, DeleteTeamRequest, NewTeamRequest, UpdateTeamRequest } from '@switchyard/contracts';
import { teamScope } from '@switchyard/virtual-keys';
import { bodyOf } from './key-routes.js';
import type { KeysClient } from './keys-client.js';
import type { LedgerClient } from './ledger-client.js';
import { litellmError } from './litellm-error.js';
import { withRecordedSpend } from './spend-fill.js';

/** LiteLLM's /team/* routes: a team's own models, rpm/tpm/parallel limits and budget, shared by its keys. */
export function registerTeamRoutes(app: FastifyInstance, client: KeysClient, ledger: LedgerClient | null = null): void {
  app.post('/team/new', async (request) => client.call({ op: 'team.new', body: bodyOf(NewTeamRequest, request) }));
  app.post('/team/update', async (request) => client.call({ op: 'team.update', body: bodyOf(UpdateTeamRequest, request) }));
  app.post('/team/delete', async (request) => client.call({ op: 'team.delete', teamIds: bodyOf(DeleteTeamRequest, request).team_ids }));
  app.get('/team/info', async (request) => {
    const teamId = (request.query as Record<string, unknown> | undefined)?.team_id;
    if (typeof teamId !== 'string' || teamId === '') throw litellmError(400, 'Pass the team to look up: /team/info?team_id=...', 'bad_request_error', 'team_id');
    const found = (await client.call({ op: 'team.info', teamId: teamId.slice(0, 128) })) as { team_info?: Record<string, unknown> };
    if (found.team_info === undefined) return found;
    return { ...found, team_info: await withRecordedSpend(found.team_info, teamScope(String(found.team_info.team_id)), ledger) };
  });
  app.get('/team/list', async (request) => {
    const userId = (request.query as Record<string, unknown> | undefined)?.user_id;
    return client.call({ op: 'team.list', userId: typeof userId === 'string' && userId !== '' ? userId.slice(0, 160) : null });
  });
  for (const [path, blocked] of [['/team/block', true], ['/team/unblock', false]] as const) {
    app.post(path, async (request) => client.call({ op: 'team.block', teamId: bodyOf(BlockTeamRequest, request).team_id, blocked }));
  }
}
