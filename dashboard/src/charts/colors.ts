/** The page's few colours, shared by CSS-less drawing (canvas) and the stylesheet's variables. */
export const COLORS = {
  series: '#1f4e9c',
  band: 'rgba(31, 78, 156, 0.16)',
  grid: '#e5e7eb',
  axis: '#4b5563',
  warning: '#b45309',
  critical: '#dc2626',
  warningSpan: 'rgba(234, 179, 8, 0.20)',
  criticalSpan: 'rgba(239, 68, 68, 0.18)',
  oee: '#111827',
  availability: '#2563eb',
  performance: '#7c3aed',
  quality: '#059669',
} as const;
