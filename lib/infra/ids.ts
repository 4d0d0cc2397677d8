import { v7 } from 'uuid';

/** Time-ordered ids keep inserts at the end of the primary key and make ids usable as cursors. */
export const newId = (): string => v7();
