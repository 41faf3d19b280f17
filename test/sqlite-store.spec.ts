import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { SqliteStore } from '../src/common/sqlite/sqlite-store.js';

@Entity('notes')
class NoteEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  text: string;
}

/** SqliteStore on a real file: one transaction per write, all or nothing, in order, and nothing after close. */
describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-store-'));
    store = new SqliteStore({ file: path.join(dir, 'sub', '.notes.db'), entities: [NoteEntity], ownerOnly: true });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ids = () => store.read(async (m) => (await m.find(NoteEntity, { order: { id: 'ASC' } })).map((n) => n.id));

  it('a write that throws leaves nothing of itself, and the next write commits on its own', async () => {
    await expect(
      store.transaction(async (m) => {
        await m.save(NoteEntity, { id: 'half', text: 'first row of a failed write' });
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    await store.transaction((m) => m.save(NoteEntity, { id: 'next', text: 'saved' }));
    await store.close();
    const reopened = new SqliteStore({ file: path.join(dir, 'sub', '.notes.db'), entities: [NoteEntity] });
    expect(await reopened.read((m) => m.find(NoteEntity))).toEqual([{ id: 'next', text: 'saved' }]);
    await reopened.close();
    store = reopened;
  });

  it('runs reads and writes one at a time, in the order asked, and refuses work after close', async () => {
    const order: string[] = [];
    const slow = store.transaction(async (m) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await m.save(NoteEntity, { id: 'a', text: 'a' });
      order.push('write a');
    });
    const read = ids().then((seen) => order.push(`read ${seen.join(',')}`));
    await Promise.all([slow, read]);
    expect(order).toEqual(['write a', 'read a']);
    expect((fs.statSync(path.join(dir, 'sub', '.notes.db')).mode & 0o777).toString(8)).toBe('600');
    await store.close();
    await expect(ids()).rejects.toThrow(/\.notes\.db is closed: the service is stopping/);
  });
});
