import { createTheme } from '@mantine/core';

// One brand colour; status badges use fixed colours (docs/portal.md, the design's status colours: pending gray, processing blue,
// succeeded green, failed red, expired orange, cancelled dark).
export const theme = createTheme({
  primaryColor: 'teal',
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
  headings: { fontWeight: '650' },
});

export const STATUS_COLOR: Record<string, string> = {
  pending: 'gray',
  processing: 'blue',
  succeeded: 'green',
  failed: 'red',
  expired: 'orange',
  cancelled: 'dark',
};
